//! The ACL container command (Redis 7.0.15's commands/acl*.json, group "server").

use crate::acl::cmd::*;
use crate::commands::{CommandSpec, BASE};

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "acl",
    group: "server",
    since: "6.0.0",
    summary: "A container for Access List Control commands ",
    complexity: "Depends on subcommand.",
    arity: -2,
    flags: "sentinel",
    subcommands: &[
        CommandSpec {
            name: "cat",
            group: "server",
            since: "6.0.0",
            summary: "List the ACL categories or the commands inside a category",
            complexity: "O(1) since the categories and commands are a fixed set.",
            arity: -2,
            flags: "noscript loading stale sentinel",
            handler: Some(acl_cat),
            ..BASE
        },
        CommandSpec {
            name: "deluser",
            group: "server",
            since: "6.0.0",
            summary: "Remove the specified ACL users and the associated rules",
            complexity: "O(1) amortized time considering the typical user.",
            arity: -3,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_deluser),
            ..BASE
        },
        CommandSpec {
            name: "dryrun",
            group: "server",
            since: "7.0.0",
            summary: "Returns whether the user can execute the given command without executing the command.",
            complexity: "O(1).",
            arity: -4,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_dryrun),
            ..BASE
        },
        CommandSpec {
            name: "genpass",
            group: "server",
            since: "6.0.0",
            summary: "Generate a pseudorandom secure password to use for ACL users",
            complexity: "O(1)",
            arity: -2,
            flags: "noscript loading stale sentinel",
            handler: Some(acl_genpass),
            ..BASE
        },
        CommandSpec {
            name: "getuser",
            group: "server",
            since: "6.0.0",
            summary: "Get the rules for a specific ACL user",
            complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
            arity: 3,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_getuser),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "6.0.0",
            summary: "Show helpful text about the different subcommands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale sentinel",
            handler: Some(acl_help),
            ..BASE
        },
        CommandSpec {
            name: "list",
            group: "server",
            since: "6.0.0",
            summary: "List the current ACL rules in ACL config file format",
            complexity: "O(N). Where N is the number of configured users.",
            arity: 2,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_list),
            ..BASE
        },
        CommandSpec {
            name: "load",
            group: "server",
            since: "6.0.0",
            summary: "Reload the ACLs from the configured ACL file",
            complexity: "O(N). Where N is the number of configured users.",
            arity: 2,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_load),
            ..BASE
        },
        CommandSpec {
            name: "log",
            group: "server",
            since: "6.0.0",
            summary: "List latest events denied because of ACLs in place",
            complexity: "O(N) with N being the number of entries shown.",
            arity: -2,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_log),
            ..BASE
        },
        CommandSpec {
            name: "save",
            group: "server",
            since: "6.0.0",
            summary: "Save the current ACL rules in the configured ACL file",
            complexity: "O(N). Where N is the number of configured users.",
            arity: 2,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_save),
            ..BASE
        },
        CommandSpec {
            name: "setuser",
            group: "server",
            since: "6.0.0",
            summary: "Modify or create the rules for a specific ACL user",
            complexity: "O(N). Where N is the number of rules provided.",
            arity: -3,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_setuser),
            ..BASE
        },
        CommandSpec {
            name: "users",
            group: "server",
            since: "6.0.0",
            summary: "List the username of all the configured ACL rules",
            complexity: "O(N). Where N is the number of configured users.",
            arity: 2,
            flags: "admin noscript loading stale sentinel",
            handler: Some(acl_users),
            ..BASE
        },
        CommandSpec {
            name: "whoami",
            group: "server",
            since: "6.0.0",
            summary: "Return the name of the user associated to the current connection",
            complexity: "O(1)",
            arity: 2,
            flags: "noscript loading stale sentinel",
            handler: Some(acl_whoami),
            ..BASE
        },
    ],
    ..BASE
}];
