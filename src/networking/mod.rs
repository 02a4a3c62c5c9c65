//! Clients and their I/O: the Client struct, reply encoding (RESP2/RESP3),
//! reading and parsing requests, writing replies, and the CLIENT command.

pub mod client;
pub mod client_cmd;
pub mod limits;
pub mod read;
pub mod reply;

pub use client::{Client, ClientFlags, Stream};
