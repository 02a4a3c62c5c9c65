//! Geo commands (Redis 7.0.15's commands/geo*.json, group "geo"); handlers in src/geo.rs.

use crate::commands::{ks, BeginSearch, CommandSpec, FindKeys, KeySpec, BASE};
use crate::geo::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "geoadd",
        group: "geo",
        since: "3.2.0",
        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        arity: -5,
        flags: "write denyoom",
        acl: "geo",
        key_specs: &[ks("RW UPDATE", 1, 0, 1)],
        handler: Some(geoadd_command),
        ..BASE
    },
    CommandSpec {
        name: "geodist",
        group: "geo",
        since: "3.2.0",
        summary: "Returns the distance between two members of a geospatial index",
        complexity: "O(log(N))",
        arity: -4,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(geodist_command),
        ..BASE
    },
    CommandSpec {
        name: "geohash",
        group: "geo",
        since: "3.2.0",
        summary: "Returns members of a geospatial index as standard geohash strings",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        arity: -2,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(geohash_command),
        ..BASE
    },
    CommandSpec {
        name: "geopos",
        group: "geo",
        since: "3.2.0",
        summary: "Returns longitude and latitude of members of a geospatial index",
        complexity: "O(N) where N is the number of members requested.",
        arity: -2,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(geopos_command),
        ..BASE
    },
    CommandSpec {
        name: "georadius",
        group: "geo",
        since: "3.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        arity: -6,
        flags: "write denyoom",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1), KeySpec { flags: "OW UPDATE", begin: BeginSearch::Keyword { keyword: "STORE", start_from: 6 }, find: FindKeys::Range { last_key: 0, step: 1, limit: 0 } }, KeySpec { flags: "OW UPDATE", begin: BeginSearch::Keyword { keyword: "STOREDIST", start_from: 6 }, find: FindKeys::Range { last_key: 0, step: 1, limit: 0 } }],
        handler: Some(georadius_command),
        ..BASE
    },
    CommandSpec {
        name: "georadius_ro",
        group: "geo",
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUS",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        arity: -6,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(georadius_ro_command),
        ..BASE
    },
    CommandSpec {
        name: "georadiusbymember",
        group: "geo",
        since: "3.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        arity: -5,
        flags: "write denyoom",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1), KeySpec { flags: "OW UPDATE", begin: BeginSearch::Keyword { keyword: "STORE", start_from: 5 }, find: FindKeys::Range { last_key: 0, step: 1, limit: 0 } }, KeySpec { flags: "OW UPDATE", begin: BeginSearch::Keyword { keyword: "STOREDIST", start_from: 5 }, find: FindKeys::Range { last_key: 0, step: 1, limit: 0 } }],
        handler: Some(georadiusbymember_command),
        ..BASE
    },
    CommandSpec {
        name: "georadiusbymember_ro",
        group: "geo",
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUSBYMEMBER",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        arity: -5,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(georadiusbymember_ro_command),
        ..BASE
    },
    CommandSpec {
        name: "geosearch",
        group: "geo",
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        arity: -7,
        flags: "readonly",
        acl: "geo",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(geosearch_command),
        ..BASE
    },
    CommandSpec {
        name: "geosearchstore",
        group: "geo",
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        arity: -8,
        flags: "write denyoom",
        acl: "geo",
        key_specs: &[ks("OW UPDATE", 1, 0, 1), ks("RO ACCESS", 2, 0, 1)],
        handler: Some(geosearchstore_command),
        ..BASE
    },
];
