//! The command table, one file per command group (Redis's commands/*.json,
//! grouped as COMMAND DOCS groups them). Each row is data: name, arity, flags,
//! ACL categories, key specs, handler, subcommands.

mod bitmap;
mod cluster;
mod connection;
mod generic;
mod geo;
mod hash;
mod hyperloglog;
mod list;
mod pubsub;
mod rdb;
mod scripting;
mod server;
mod server_acl;
mod server_config;
mod server_debug;
mod set;
mod stream;
mod string;
mod transactions;
mod zset;

use super::CommandSpec;

pub const ALL: &[&[CommandSpec]] = &[
    generic::COMMANDS,
    string::COMMANDS,
    list::COMMANDS,
    zset::COMMANDS,
    bitmap::COMMANDS,
    hyperloglog::COMMANDS,
    connection::COMMANDS,
    server::COMMANDS,
    server_acl::COMMANDS,
    server_config::COMMANDS,
    server_debug::COMMANDS,
    hash::COMMANDS,
    set::COMMANDS,
    pubsub::COMMANDS,
    transactions::COMMANDS,
    rdb::COMMANDS,
    geo::COMMANDS,
    stream::COMMANDS,
    scripting::COMMANDS,
    cluster::COMMANDS,
];
