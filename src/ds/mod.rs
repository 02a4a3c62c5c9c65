//! Redis's compact byte-level data structures shared by the value types:
//! listpack (lists, hashes, sorted sets), intset (small integer sets) and
//! the quicklist that chains listpacks into a list.
// Users (hashes, sets, zsets, lists) arrive with their types; until then parts are unused.
#![allow(dead_code)]
pub mod inline_bytes;
pub mod intset;
pub mod listpack;
pub mod quicklist;
pub mod skiplist;
pub mod stream;
