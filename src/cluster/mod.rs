//! Redis Cluster: the key → hash slot mapping, the cluster state model
//! (state.rs), the bus (bus.rs). `Server.cluster` is `Some` when
//! `cluster-enabled yes`.

pub mod bus;
pub mod cmd;
pub mod config;
pub mod cron;
pub mod failover;
pub mod msg;
pub mod node;
pub mod slot;
pub mod state;

pub use slot::key_hash_slot;
pub use state::{ClusterNode, ClusterState, NodeId, Role};

pub const CLUSTER_SLOTS: usize = 16384;
