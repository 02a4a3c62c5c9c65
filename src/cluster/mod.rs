//! Redis Cluster. For now only the key → hash slot mapping the keyspace index and
//! CLUSTER KEYSLOT need; the bus, slots ownership and redirection come with the cluster issue.

pub mod migrate;
pub mod routing;
pub mod slot;
pub mod slots_cmd;

pub use slot::key_hash_slot;

pub const CLUSTER_SLOTS: usize = 16384;
