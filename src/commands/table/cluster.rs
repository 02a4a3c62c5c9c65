//! CLUSTER and its subcommands, ASKING, READONLY, READWRITE, and the key-moving pair
//! MIGRATE / RESTORE-ASKING (Redis 7.0.15's commands/*.json). The CLUSTER handlers are
//! the cluster state's (src/cluster/cmd.rs), SLOTS and SHARDS routing's (slots_cmd.rs).

use crate::cluster::cmd::*;
use crate::cluster::migrate::migrate_command;
use crate::cluster::routing::{asking_command, readonly_command, readwrite_command};
use crate::cluster::slots_cmd;
use crate::commands::{ks, BeginSearch, CommandSpec, FindKeys, KeySpec, BASE};
use crate::rdb::dump::restore_command;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "migrate",
        group: "generic",
        since: "2.6.0",
        summary: "Atomically transfer a key from a Redis instance to another one.",
        complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
        arity: -6,
        flags: "write",
        acl: "keyspace dangerous",
        key_specs: &[ks("RW ACCESS DELETE", 3, 0, 1), KeySpec { flags: "RW ACCESS DELETE INCOMPLETE", begin: BeginSearch::Keyword { keyword: "KEYS", start_from: -2 }, find: FindKeys::Range { last_key: -1, step: 1, limit: 0 } }],
        tips: &["nondeterministic_output"],
        handler: Some(migrate_command),
        ..BASE
    },
    CommandSpec {
        name: "restore-asking",
        group: "server",
        since: "3.0.0",
        summary: "An internal command for migrating keys in a cluster",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        arity: -4,
        flags: "write denyoom asking",
        acl: "keyspace dangerous",
        key_specs: &[ks("OW UPDATE", 1, 0, 1)],
        handler: Some(restore_command),
        ..BASE
    },
    CommandSpec {
        name: "asking",
        group: "cluster",
        since: "3.0.0",
        summary: "Sent by cluster clients after an -ASK redirect",
        complexity: "O(1)",
        arity: 1,
        flags: "fast",
        acl: "connection",
        handler: Some(asking_command),
        ..BASE
    },
    CommandSpec {
        name: "readonly",
        group: "cluster",
        since: "3.0.0",
        summary: "Enables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        arity: 1,
        flags: "fast loading stale",
        acl: "connection",
        handler: Some(readonly_command),
        ..BASE
    },
    CommandSpec {
        name: "readwrite",
        group: "cluster",
        since: "3.0.0",
        summary: "Disables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        arity: 1,
        flags: "fast loading stale",
        acl: "connection",
        handler: Some(readwrite_command),
        ..BASE
    },
    CommandSpec {
        name: "cluster",
        group: "cluster",
        since: "3.0.0",
        summary: "A container for cluster commands",
        complexity: "Depends on subcommand.",
        arity: -2,
        subcommands: &[
            CommandSpec {
                name: "addslots",
                group: "cluster",
                since: "3.0.0",
                summary: "Assign new hash slots to receiving node",
                complexity: "O(N) where N is the total number of hash slot arguments",
                arity: -3,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_addslots),
                ..BASE
            },
            CommandSpec {
                name: "addslotsrange",
                group: "cluster",
                since: "7.0.0",
                summary: "Assign new hash slots to receiving node",
                complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
                arity: -4,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_addslotsrange),
                ..BASE
            },
            CommandSpec {
                name: "bumpepoch",
                group: "cluster",
                since: "3.0.0",
                summary: "Advance the cluster config epoch",
                complexity: "O(1)",
                arity: 2,
                flags: "no_async_loading admin stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_bumpepoch),
                ..BASE
            },
            CommandSpec {
                name: "count-failure-reports",
                group: "cluster",
                since: "3.0.0",
                summary: "Return the number of failure reports active for a given node",
                complexity: "O(N) where N is the number of failure reports",
                arity: 3,
                flags: "admin stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_count_failure_reports),
                ..BASE
            },
            CommandSpec {
                name: "countkeysinslot",
                group: "cluster",
                since: "3.0.0",
                summary: "Return the number of local keys in the specified hash slot",
                complexity: "O(1)",
                arity: 3,
                flags: "stale",
                handler: Some(cluster_countkeysinslot),
                ..BASE
            },
            CommandSpec {
                name: "delslots",
                group: "cluster",
                since: "3.0.0",
                summary: "Set hash slots as unbound in receiving node",
                complexity: "O(N) where N is the total number of hash slot arguments",
                arity: -3,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_delslots),
                ..BASE
            },
            CommandSpec {
                name: "delslotsrange",
                group: "cluster",
                since: "7.0.0",
                summary: "Set hash slots as unbound in receiving node",
                complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
                arity: -4,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_delslotsrange),
                ..BASE
            },
            CommandSpec {
                name: "failover",
                group: "cluster",
                since: "3.0.0",
                summary: "Forces a replica to perform a manual failover of its master.",
                complexity: "O(1)",
                arity: -2,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_failover),
                ..BASE
            },
            CommandSpec {
                name: "flushslots",
                group: "cluster",
                since: "3.0.0",
                summary: "Delete a node's own slots information",
                complexity: "O(1)",
                arity: 2,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_flushslots),
                ..BASE
            },
            CommandSpec {
                name: "forget",
                group: "cluster",
                since: "3.0.0",
                summary: "Remove a node from the nodes table",
                complexity: "O(1)",
                arity: 3,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_forget),
                ..BASE
            },
            CommandSpec {
                name: "getkeysinslot",
                group: "cluster",
                since: "3.0.0",
                summary: "Return local key names in the specified hash slot",
                complexity: "O(log(N)) where N is the number of requested keys",
                arity: 4,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_getkeysinslot),
                ..BASE
            },
            CommandSpec {
                name: "help",
                group: "cluster",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                arity: 2,
                flags: "loading stale",
                handler: Some(cluster_help),
                ..BASE
            },
            CommandSpec {
                name: "info",
                group: "cluster",
                since: "3.0.0",
                summary: "Provides info about Redis Cluster node state",
                complexity: "O(1)",
                arity: 2,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_info),
                ..BASE
            },
            CommandSpec {
                name: "keyslot",
                group: "cluster",
                since: "3.0.0",
                summary: "Returns the hash slot of the specified key",
                complexity: "O(N) where N is the number of bytes in the key",
                arity: 3,
                flags: "stale",
                handler: Some(cluster_keyslot),
                ..BASE
            },
            CommandSpec {
                name: "links",
                group: "cluster",
                since: "7.0.0",
                summary: "Returns a list of all TCP links to and from peer nodes in cluster",
                complexity: "O(N) where N is the total number of Cluster nodes",
                arity: 2,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_links),
                ..BASE
            },
            CommandSpec {
                name: "meet",
                group: "cluster",
                since: "3.0.0",
                summary: "Force a node cluster to handshake with another node",
                complexity: "O(1)",
                arity: -4,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_meet),
                ..BASE
            },
            CommandSpec {
                name: "myid",
                group: "cluster",
                since: "3.0.0",
                summary: "Return the node id",
                complexity: "O(1)",
                arity: 2,
                flags: "stale",
                handler: Some(cluster_myid),
                ..BASE
            },
            CommandSpec {
                name: "nodes",
                group: "cluster",
                since: "3.0.0",
                summary: "Get Cluster config for the node",
                complexity: "O(N) where N is the total number of Cluster nodes",
                arity: 2,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_nodes),
                ..BASE
            },
            CommandSpec {
                name: "replicas",
                group: "cluster",
                since: "5.0.0",
                summary: "List replica nodes of the specified master node",
                complexity: "O(1)",
                arity: 3,
                flags: "admin stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_replicas),
                ..BASE
            },
            CommandSpec {
                name: "replicate",
                group: "cluster",
                since: "3.0.0",
                summary: "Reconfigure a node as a replica of the specified master node",
                complexity: "O(1)",
                arity: 3,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_replicate),
                ..BASE
            },
            CommandSpec {
                name: "reset",
                group: "cluster",
                since: "3.0.0",
                summary: "Reset a Redis Cluster node",
                complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
                arity: -2,
                flags: "admin stale noscript",
                handler: Some(cluster_reset),
                ..BASE
            },
            CommandSpec {
                name: "saveconfig",
                group: "cluster",
                since: "3.0.0",
                summary: "Forces the node to save cluster state on disk",
                complexity: "O(1)",
                arity: 2,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_saveconfig),
                ..BASE
            },
            CommandSpec {
                name: "set-config-epoch",
                group: "cluster",
                since: "3.0.0",
                summary: "Set the configuration epoch in a new node",
                complexity: "O(1)",
                arity: 3,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_set_config_epoch),
                ..BASE
            },
            CommandSpec {
                name: "setslot",
                group: "cluster",
                since: "3.0.0",
                summary: "Bind a hash slot to a specific node",
                complexity: "O(1)",
                arity: -4,
                flags: "no_async_loading admin stale",
                handler: Some(cluster_setslot),
                ..BASE
            },
            CommandSpec {
                name: "shards",
                group: "cluster",
                since: "7.0.0",
                summary: "Get array of cluster slots to node mappings",
                complexity: "O(N) where N is the total number of cluster nodes",
                arity: 2,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(slots_cmd::cluster_shards),
                ..BASE
            },
            CommandSpec {
                name: "slaves",
                group: "cluster",
                since: "3.0.0",
                summary: "List replica nodes of the specified master node",
                complexity: "O(1)",
                arity: 3,
                flags: "admin stale",
                tips: &["nondeterministic_output"],
                handler: Some(cluster_slaves),
                ..BASE
            },
            CommandSpec {
                name: "slots",
                group: "cluster",
                since: "3.0.0",
                summary: "Get array of Cluster slot to node mappings",
                complexity: "O(N) where N is the total number of Cluster nodes",
                arity: 2,
                flags: "stale",
                tips: &["nondeterministic_output"],
                handler: Some(slots_cmd::cluster_slots),
                ..BASE
            },
        ],
        ..BASE
    },
];
