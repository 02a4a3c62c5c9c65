//! String and bitmap commands through the `redis` crate: each command's happy path and
//! its error replies (arity, syntax, not-an-integer / not-a-float, out of range, wrong
//! type) with Redis 7.0.15's exact strings. The scripts' expected replies were recorded
//! from real Redis; `REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test strings`
//! checks them again.

mod common;

use common::{check, Server};

#[test]
fn strings_set_get() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set k v                                  => +OK
get k                                    => v
get nokey                                => (nil)
set k v2 nx                              => (nil)
set k v2 xx get                          => v
set nk v xx                              => (nil)
set nk v nx get                          => (nil)
set k v3 get keepttl                     => v2
set k v ex 100 keepttl                   => -ERR syntax error
set k v keepttl px 100                   => -ERR syntax error
set k v get nx                           => v3
set k v exat 0                           => -ERR invalid expire time in 'set' command
set k v pxat -1                          => -ERR invalid expire time in 'set' command
set k v ex 9223372036854775807           => -ERR invalid expire time in 'set' command
set k v px 9223372036854775807           => -ERR invalid expire time in 'set' command
set k v ex 1.5                           => -ERR value is not an integer or out of range
setnx k x                                => :0
setnx sn x                               => :1
setnx sn                                 => -ERR wrong number of arguments for 'setnx' command
setex k 0 v                              => -ERR invalid expire time in 'setex' command
setex k -1 v                             => -ERR invalid expire time in 'setex' command
setex k x v                              => -ERR value is not an integer or out of range
setex k 100 v                            => +OK
ttl k                                    => :100
psetex k 0 v                             => -ERR invalid expire time in 'psetex' command
psetex k 100000 v                        => +OK
setex k 100                              => -ERR wrong number of arguments for 'setex' command
getset k new                             => v
getset nokey new                         => (nil)
getset k                                 => -ERR wrong number of arguments for 'getset' command
getdel k                                 => new
getdel k                                 => (nil)
getdel                                   => -ERR wrong number of arguments for 'getdel' command
mset a 1 b 2 c                           => -ERR wrong number of arguments for 'mset' command
mset a 1 b 2                             => +OK
msetnx a 1 z 2                           => :0
msetnx y 1 z 2                           => :1
msetnx y 1 z                             => -ERR wrong number of arguments for 'msetnx' command
mget a nokey b                           => [1, new, 2]
mget                                     => -ERR wrong number of arguments for 'mget' command
rpush list x                             => :1
get list                                 => -WRONGTYPE Operation against a key holding the wrong kind of value
getset list v                            => -WRONGTYPE Operation against a key holding the wrong kind of value
getdel list                              => -WRONGTYPE Operation against a key holding the wrong kind of value
getex list                               => -WRONGTYPE Operation against a key holding the wrong kind of value
append list x                            => -WRONGTYPE Operation against a key holding the wrong kind of value
strlen list                              => -WRONGTYPE Operation against a key holding the wrong kind of value
incr list                                => -WRONGTYPE Operation against a key holding the wrong kind of value
setrange list 0 x                        => -WRONGTYPE Operation against a key holding the wrong kind of value
getrange list 0 1                        => -WRONGTYPE Operation against a key holding the wrong kind of value
lcs list a                               => -ERR The specified keys must contain string values
mget list a                              => [(nil), 1]
"#,
    );
}

#[test]
fn strings_getex() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set k v                                  => +OK
getex k                                  => v
getex k ex 100                           => v
ttl k                                    => :100
getex k persist                          => v
ttl k                                    => :-1
getex k px 100000                        => v
getex k exat 99999999999                 => v
getex k pxat 99999999999000              => v
getex k persist ex 10                    => -ERR syntax error
getex k ex 10 px 10                      => -ERR syntax error
getex k ex 0                             => -ERR invalid expire time in 'getex' command
getex k ex -5                            => -ERR invalid expire time in 'getex' command
getex k px abc                           => -ERR value is not an integer or out of range
getex k foo                              => -ERR syntax error
getex k ex                               => -ERR syntax error
getex nokey ex 10                        => (nil)
getex k pxat 9223372036854775807         => v
getex k ex 9223372036854775807           => -ERR invalid expire time in 'getex' command
"#,
    );
}

#[test]
fn strings_append_range() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
append k hello                           => :5
append k " world"                        => :11
strlen k                                 => :11
strlen nokey                             => :0
getrange k 0 4                           => hello
getrange k -5 -1                         => world
getrange k 5 2                           => ""
getrange k -100 100                      => hello world
getrange k 100 200                       => ""
getrange nokey 0 1                       => ""
getrange k a 1                           => -ERR value is not an integer or out of range
getrange k 0                             => -ERR wrong number of arguments for 'getrange' command
substr k 0 4                             => hello
substr k 6 -1                            => world
setrange k 6 WORLD                       => :11
get k                                    => hello WORLD
setrange k 20 x                          => :21
get k                                    => hello WORLD\x00\x00\x00\x00\x00\x00\x00\x00\x00x
setrange nokey 0 ""                      => :0
exists nokey                             => :0
setrange k 0 ""                          => :21
setrange nokey2 3 abc                    => :6
get nokey2                               => \x00\x00\x00abc
setrange k -1 x                          => -ERR offset is out of range
setrange k x x                           => -ERR value is not an integer or out of range
setrange k 536870912 x                   => -ERR string exceeds maximum allowed size (proto-max-bulk-len)
setrange k 536870911 x                   => :536870912
set n 12345                              => +OK
setrange n 1 9                           => :5
get n                                    => 19345
getrange n 0 -1                          => 19345
append n 6                               => :6
object encoding n                        => raw
"#,
    );
}

#[test]
fn strings_incr_decr() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
incr n                                   => :1
incrby n 10                              => :11
decr n                                   => :10
decrby n 5                               => :5
decrby n -9223372036854775808            => -ERR decrement would overflow
incrby n 9223372036854775807             => -ERR increment or decrement would overflow
incrby n x                               => -ERR value is not an integer or out of range
incrby n 1.5                             => -ERR value is not an integer or out of range
incr n n                                 => -ERR wrong number of arguments for 'incr' command
set big 9223372036854775807              => +OK
incr big                                 => -ERR increment or decrement would overflow
set small -9223372036854775808           => +OK
decr small                               => -ERR increment or decrement would overflow
decrby small 1                           => -ERR increment or decrement would overflow
set f 1.5                                => +OK
incr f                                   => -ERR value is not an integer or out of range
set sp " 1"                              => +OK
incr sp                                  => -ERR value is not an integer or out of range
set lz 01                                => +OK
incr lz                                  => -ERR value is not an integer or out of range
set n2 10                                => +OK
incrbyfloat n2 0.1                       => 10.1
incrbyfloat n2 -5.1                      => 5
incrbyfloat n2 1e3                       => 1005
incrbyfloat n2 abc                       => -ERR value is not a valid float
incrbyfloat n2 inf                       => -ERR increment would produce NaN or Infinity
incrbyfloat n2 nan                       => -ERR value is not a valid float
set fi 1e308                             => +OK
incrbyfloat fi 1e308                     => 199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096
incrbyfloat newf 3.0e0                   => 3
incrbyfloat newf 2.5                     => 5.5
set fs abc                               => +OK
incrbyfloat fs 1                         => -ERR value is not a valid float
set huge 3.0e3                           => +OK
incrbyfloat huge 1                       => 3001
set ee 5.0000000000000000001             => +OK
incrbyfloat ee 0                         => 5
incrbyfloat ee 1 2                       => -ERR wrong number of arguments for 'incrbyfloat' command
"#,
    );
}

#[test]
fn strings_lcs() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set a ohmytext                           => +OK
set b mynewtext                          => +OK
lcs a b                                  => mytext
lcs a b len                              => :6
lcs a b idx                              => [matches, [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], len, :6]
lcs a b idx minmatchlen 4                => [matches, [[[:4, :7], [:5, :8]]], len, :6]
lcs a b idx withmatchlen                 => [matches, [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], len, :6]
lcs a b idx minmatchlen 4 withmatchlen   => [matches, [[[:4, :7], [:5, :8], :4]], len, :6]
lcs a b len idx                          => -ERR If you want both the length and indexes, please just use IDX.
lcs a b minmatchlen x                    => -ERR value is not an integer or out of range
lcs a b foo                              => -ERR syntax error
lcs a nokey                              => ""
lcs nokey nokey2 len                     => :0
lcs a                                    => -ERR wrong number of arguments for 'lcs' command
rpush l x                                => :1
lcs a l                                  => -ERR The specified keys must contain string values
"#,
    );
}

#[test]
fn bitmaps_setbit_getbit_bitcount() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
setbit k 7 1                             => :0
setbit k 7 0                             => :1
setbit k 100 1                           => :0
getbit k 100                             => :1
getbit k 99                              => :0
getbit k 100000                          => :0
getbit nokey 5                           => :0
strlen k                                 => :13
setbit k 1 2                             => -ERR bit is not an integer or out of range
setbit k -1 1                            => -ERR bit offset is not an integer or out of range
setbit k x 1                             => -ERR bit offset is not an integer or out of range
setbit k 4294967296 1                    => -ERR bit offset is not an integer or out of range
setbit k 4294967295                      => -ERR wrong number of arguments for 'setbit' command
getbit k x                               => -ERR bit offset is not an integer or out of range
getbit k -1                              => -ERR bit offset is not an integer or out of range
set s foobar                             => +OK
bitcount s                               => :26
bitcount s 0 0                           => :4
bitcount s 1 1                           => :6
bitcount s -2 -1                         => :7
bitcount s 5 30 bit                      => :17
bitcount s 0 -1 byte                     => :26
bitcount s 1 0                           => :0
bitcount s 0                             => -ERR syntax error
bitcount s 0 1 foo                       => -ERR syntax error
bitcount s a b                           => -ERR value is not an integer or out of range
bitcount nokey                           => :0
bitcount nokey 0 1 bit                   => :0
rpush l x                                => :1
setbit l 0 1                             => -WRONGTYPE Operation against a key holding the wrong kind of value
getbit l 0                               => -WRONGTYPE Operation against a key holding the wrong kind of value
bitcount l                               => -WRONGTYPE Operation against a key holding the wrong kind of value
bitpos l 1                               => -WRONGTYPE Operation against a key holding the wrong kind of value
bitop and d l                            => -WRONGTYPE Operation against a key holding the wrong kind of value
bitfield l get u8 0                      => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn bitmaps_bitpos() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set s \xff\xf0\x00                       => +OK
bitpos s 0                               => :0
set s2 abc                               => +OK
bitpos s2 1                              => :1
bitpos s2 0                              => :0
bitpos s2 1 1                            => :9
bitpos s2 1 1 1                          => :9
bitpos s2 1 7 15 bit                     => :7
bitpos s2 0 0 -1 bit                     => :0
bitpos s2 1 -1                           => :17
bitpos s2 2                              => -ERR The bit argument must be 1 or 0.
bitpos s2 1 0 1 foo                      => -ERR syntax error
bitpos s2 1 x                            => -ERR value is not an integer or out of range
bitpos nokey 0                           => :0
bitpos nokey 1                           => :-1
set ones \xff\xff                        => +OK
bitpos ones 0                            => :0
bitpos ones 0 0 -1                       => :0
bitpos ones 0 0 -1 bit                   => :0
set zeros \x00\x00                       => +OK
bitpos zeros 1                           => :1
"#,
    );
}

#[test]
fn bitmaps_bitop() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
set a abc                                => +OK
set b ab\x01\x02                         => +OK
bitop and d a b                          => :10
get d                                    => ab@\x00\x00\x00\x00\x00\x00\x00
bitop or d a b                           => :10
get d                                    => ab\x7fx01\x5cx02
bitop xor d a b                          => :10
get d                                    => \x00\x00?x01\x5cx02
bitop not d a                            => :3
get d                                    => \x9e\x9d\x9c
bitop not d a b                          => -ERR BITOP NOT must be called with a single source key.
bitop nand d a b                         => -ERR syntax error
bitop and d                              => -ERR wrong number of arguments for 'bitop' command
bitop and d nokey                        => :0
exists d                                 => :0
bitop or d a nokey                       => :3
get d                                    => abc
"#,
    );
}

#[test]
fn bitmaps_bitfield() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
bitfield k set u8 0 255                  => [:0]
bitfield k get u8 0                      => [:255]
bitfield k get i8 0                      => [:-1]
bitfield k incrby u8 0 10                => [:9]
bitfield k overflow sat incrby u8 0 300  => [:255]
bitfield k overflow fail incrby u8 0 1   => [(nil)]
bitfield k overflow wrap incrby i8 0 200 => [:-57]
bitfield k set i64 8 -1 get u63 8 get i64 8 => [:0, :9223372036854775807, :-1]
bitfield k get u64 0                     => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
bitfield k get i65 0                     => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
bitfield k get x8 0                      => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
bitfield k get u8 -1                     => -ERR bit offset is not an integer or out of range
bitfield k get u8 #1                     => [:255]
bitfield k set u8 #2 7 get u8 16         => [:255, :7]
bitfield k incrby u8 0 x                 => -ERR value is not an integer or out of range
bitfield k set u8 0 x                    => -ERR value is not an integer or out of range
bitfield k overflow bogus                => -ERR Invalid OVERFLOW type specified
bitfield k get u8                        => -ERR syntax error
bitfield k foo                           => -ERR syntax error
bitfield k                               => []
bitfield nokey get u8 0                  => [:0]
bitfield_ro k get u8 0 get i4 4          => [:199, :7]
bitfield_ro k set u8 0 1                 => -ERR BITFIELD_RO only supports the GET subcommand
bitfield_ro nokey get u8 0               => [:0]
bitfield_ro k                            => []
"#,
    );
}

#[test]
fn misc_strings_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
psetex k x v                             => -ERR value is not an integer or out of range
psetex k -1 v                            => -ERR invalid expire time in 'psetex' command
psetex k 9223372036854775807 v           => -ERR invalid expire time in 'psetex' command
psetex k 10000 v                         => +OK
substr k 0 -1                            => v
substr nokey 0 1                         => ""
substr k x 1                             => -ERR value is not an integer or out of range
substr k 0                               => -ERR wrong number of arguments for 'substr' command
rpush l a                                => :1
substr l 0 1                             => -WRONGTYPE Operation against a key holding the wrong kind of value
setnx l v                                => :0
msetnx l x                               => :0
msetnx n1 1 n2 2                         => :1
mget n1 n2                               => [1, 2]
decr l                                   => -WRONGTYPE Operation against a key holding the wrong kind of value
set n 0                                  => +OK
decrby n -9223372036854775807            => :9223372036854775807
decr n                                   => :9223372036854775806
decr n                                   => :9223372036854775805
decrby n 9223372036854775807             => :-2
decrby n x                               => -ERR value is not an integer or out of range
decr n x                                 => -ERR wrong number of arguments for 'decr' command
set s "12 "                              => +OK
decr s                                   => -ERR value is not an integer or out of range
getdel l                                 => -WRONGTYPE Operation against a key holding the wrong kind of value
getset l v                               => -WRONGTYPE Operation against a key holding the wrong kind of value
bitfield_ro k get i8 0 get u4 4          => [:118, :6]
bitfield_ro k get x8 0                   => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
bitfield_ro k get u8 -1                  => -ERR bit offset is not an integer or out of range
bitfield_ro k incrby u8 0 1              => -ERR BITFIELD_RO only supports the GET subcommand
bitfield_ro l get u8 0                   => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}
