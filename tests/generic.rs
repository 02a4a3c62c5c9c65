//! Generic keyspace commands through the `redis` crate: DEL UNLINK EXISTS TOUCH TYPE KEYS
//! SCAN, the expire family, RENAME MOVE COPY SWAPDB FLUSHDB FLUSHALL RANDOMKEY OBJECT and
//! DBSIZE, with their error replies. Only order-independent replies are checked (key
//! order in a hash table depends on the hash seed). Expected replies were recorded from
//! real Redis (`REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test generic`).

mod common;

use common::{check, Server};

#[test]
fn keyspace_del_exists_type_touch() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
mset a 1 b 2 c 3                         => +OK
del a nokey                              => :1
unlink b c nokey                         => :2
unlink nokey                             => :0
exists a b c                             => :0
del                                      => -ERR wrong number of arguments for 'del' command
unlink                                   => -ERR wrong number of arguments for 'unlink' command
exists                                   => -ERR wrong number of arguments for 'exists' command
touch a b                                => :0
set a 1                                  => +OK
touch a a nokey                          => :2
touch                                    => -ERR wrong number of arguments for 'touch' command
rpush l x                                => :1
hset h f v                               => :1
sadd s m                                 => :1
zadd z 1 m                               => :1
pfadd p x                                => :1
type a                                   => +string
type l                                   => +list
type h                                   => +hash
type s                                   => +set
type z                                   => +zset
type p                                   => +string
type nokey                               => +none
type                                     => -ERR wrong number of arguments for 'type' command
type a b                                 => -ERR wrong number of arguments for 'type' command
dbsize                                   => :6
dbsize x                                 => -ERR wrong number of arguments for 'dbsize' command
keys a*                                  => [a]
keys                                     => -ERR wrong number of arguments for 'keys' command
keys a b                                 => -ERR wrong number of arguments for 'keys' command
keys [a-b]                               => [a]
keys p                                   => [p]
keys z*                                  => [z]
"#,
    );
}

#[test]
fn keyspace_expire_ttl() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set k v                                  => +OK
expire k 100                             => :1
ttl k                                    => :100
expiretime nokey                         => :-2
expiretime k2                            => :-2
set k2 v                                 => +OK
expiretime k2                            => :-1
pexpiretime k2                           => :-1
pttl k2                                  => :-1
pttl nokey                               => :-2
ttl nokey                                => :-2
expire nokey 10                          => :0
expire k x                               => -ERR value is not an integer or out of range
expire k 10 nx                           => :0
expire k 10 foo                          => -ERR Unsupported option foo
expire k 10 nx xx                        => -ERR NX and XX, GT or LT options at the same time are not compatible
expire k 9223372036854775807             => -ERR invalid expire time in 'expire' command
pexpire k 9223372036854775807            => -ERR invalid expire time in 'pexpire' command
expireat k 9223372036854775807           => -ERR invalid expire time in 'expireat' command
expire k 50 gt                           => :0
expire k 200 gt                          => :1
ttl k                                    => :200
expire k 100 xx                          => :1
pexpireat k2 4102444800000               => :1
expiretime k2                            => :4102444800
pexpiretime k2                           => :4102444800000
expireat k2 4102444800 nx                => :0
expireat k2 4102444800 lt                => :0
pexpire k2 -1                            => :1
exists k2                                => :0
expire k -1                              => :1
exists k                                 => :0
persist nokey                            => :0
persist                                  => -ERR wrong number of arguments for 'persist' command
expire k                                 => -ERR wrong number of arguments for 'expire' command
ttl                                      => -ERR wrong number of arguments for 'ttl' command
"#,
    );
}

#[test]
fn keyspace_rename_move_copy() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set a 1                                  => +OK
rename a b                               => +OK
get b                                    => 1
rename b b                               => +OK
rename nokey x                           => -ERR no such key
renamenx b c                             => :1
set d 2                                  => +OK
renamenx c d                             => :0
renamenx nokey x                         => -ERR no such key
rename a                                 => -ERR wrong number of arguments for 'rename' command
renamenx a                               => -ERR wrong number of arguments for 'renamenx' command
move c 1                                 => :1
move c 1                                 => :0
move nokey 1                             => :0
move d x                                 => -ERR value is not an integer or out of range
move d -1                                => -ERR DB index is out of range
move d 16                                => -ERR DB index is out of range
select 1                                 => +OK
get c                                    => 1
set d clash                              => +OK
select 0                                 => +OK
move d 1                                 => :0
exists d                                 => :1
copy d e                                 => :1
copy d e                                 => :0
copy d e db 1                            => :1
copy d e db 1 replace                    => :1
copy d d                                 => -ERR source and destination objects are the same
copy nokey e                             => :0
copy d e db x                            => -ERR value is not an integer or out of range
copy d e db 16                           => -ERR DB index is out of range
copy d e foo                             => -ERR syntax error
copy d                                   => -ERR wrong number of arguments for 'copy' command
rpush l 1 2 3                            => :3
copy l l2                                => :1
lrange l2 0 -1                           => [1, 2, 3]
object encoding l2                       => quicklist
"#,
    );
}

#[test]
fn keyspace_scan_object() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
mset a 1 b 2 c 3                         => +OK
rpush l x                                => :1
scan 0 count 100 match a                 => [0, [a]]
scan 0 type list                         => [0, [l]]
scan 0 type foo                          => [0, []]
scan 0 match                             => -ERR syntax error
scan 0 count x                           => -ERR value is not an integer or out of range
scan 0 count 0                           => -ERR syntax error
scan 0 foo bar                           => -ERR syntax error
scan x                                   => -ERR invalid cursor
scan 18446744073709551616                => -ERR invalid cursor
object encoding a                        => int
object encoding l                        => quicklist
object encoding nokey                    => (nil)
object refcount a                        => :2147483647
object refcount nokey                    => (nil)
object idletime nokey                    => (nil)
object freq a                            => -ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.
object freq nokey                        => (nil)
object foo a                             => -ERR unknown subcommand 'foo'. Try OBJECT HELP.
object                                   => -ERR wrong number of arguments for 'object' command
object encoding                          => -ERR wrong number of arguments for 'object|encoding' command
object encoding a b                      => -ERR wrong number of arguments for 'object|encoding' command
object help x                            => -ERR wrong number of arguments for 'object|help' command
config set maxmemory-policy allkeys-lfu  => +OK
object freq nokey                        => (nil)
object idletime a                        => -ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.
config set maxmemory-policy noeviction   => +OK
"#,
    );
}

#[test]
fn keyspace_flush_swapdb() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set a 1                                  => +OK
select 1                                 => +OK
set b 2                                  => +OK
swapdb 0 1                               => +OK
get b                                    => (nil)
select 0                                 => +OK
get a                                    => (nil)
get b                                    => 2
swapdb 0 16                              => -ERR DB index is out of range
swapdb -1 0                              => -ERR DB index is out of range
swapdb 0 0                               => +OK
swapdb 0                                 => -ERR wrong number of arguments for 'swapdb' command
flushdb sync                             => +OK
flushdb async                            => +OK
flushdb sync async                       => -ERR syntax error
flushall sync                            => +OK
flushall bogus                           => -ERR syntax error
flushall sync 1                          => -ERR syntax error
dbsize                                   => :0
randomkey                                => (nil)
set only v                               => +OK
randomkey                                => only
randomkey x                              => -ERR wrong number of arguments for 'randomkey' command
"#,
    );
}

#[test]
fn misc_object_and_expire_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
object help                              => [+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +ENCODING <key>, +    Return the kind of internal representation used in order to store the value, +    associated with a <key>., +FREQ <key>, +    Return the access frequency index of the <key>. The returned integer is, +    proportional to the logarithm of the recent access frequency of the key., +IDLETIME <key>, +    Return the idle time of the <key>, that is the approximated number of, +    seconds elapsed since the last access to the key., +REFCOUNT <key>, +    Return the number of references of the value associated with the specified, +    <key>., +HELP, +    Prints this help.]
set k v                                  => +OK
object refcount k                        => :1
object refcount nokey                    => (nil)
object freq k                            => -ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.
config set maxmemory-policy allkeys-lfu  => +OK
set k2 v                                 => +OK
object freq k2                           => :5
config set maxmemory-policy noeviction   => +OK
pexpire k 100000 nx                      => :1
pexpire k 100000 nx                      => :0
pexpire k 200000 gt                      => :1
pexpire k 50000 xx lt                    => :1
pexpire nokey 100                        => :0
pexpire k x                              => -ERR value is not an integer or out of range
pexpire k 100 nx xx                      => -ERR NX and XX, GT or LT options at the same time are not compatible
pexpireat k 99999999999999 gt            => :1
pexpireat k x                            => -ERR value is not an integer or out of range
pexpireat k 1 gt lt                      => -ERR GT and LT options at the same time are not compatible
pexpiretime nokey                        => :-2
pttl nokey                               => :-2
set p v                                  => +OK
pttl p                                   => :-1
expireat p x                             => -ERR value is not an integer or out of range
expireat p 99999999999 xx                => :0
expireat p 99999999999 nx                => :1
expiretime p                             => :99999999999
expire p 9223372036854775                => -ERR invalid expire time in 'expire' command
expireat p -9223372036854775808          => -ERR invalid expire time in 'expireat' command
exists p                                 => :1
touch k k2 nokey p                       => :3
"#,
    );
}
