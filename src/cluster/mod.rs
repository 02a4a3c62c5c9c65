//! Redis Cluster: the key → hash slot mapping, the cluster state model
//! (state.rs), the bus (bus.rs). `Server.cluster` is `Some` when
//! `cluster-enabled yes`. Key routing (routing.rs), MIGRATE (migrate.rs) and
//! CLUSTER SLOTS/SHARDS (slots_cmd.rs) read that state.

pub mod bus;
pub mod cmd;
pub mod config;
pub mod cron;
pub mod failover;
pub mod migrate;
pub mod msg;
pub mod node;
pub mod routing;
pub mod slot;
pub mod slots_cmd;
pub mod state;

pub use slot::key_hash_slot;
pub use state::{ClusterState, NodeId};

pub const CLUSTER_SLOTS: usize = 16384;
