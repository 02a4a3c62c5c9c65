//! HyperLogLog commands through the `redis` crate: PFADD PFCOUNT PFMERGE PFDEBUG
//! PFSELFTEST, their error replies with Redis 7.0.15's exact strings, and the stored
//! value being a string with Redis's "HYLL" header. Expected replies were recorded from
//! real Redis (`REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test hyperloglog`).

mod common;

use common::{check, Server};

#[test]
fn hyperloglog_basics() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
pfadd h a b c                            => :1
pfadd h a                                => :0
pfadd h                                  => :0
pfadd newh                               => :1
pfadd newh                               => :0
pfcount h                                => :3
pfcount nokey                            => :0
pfadd h2 c d e f                         => :1
pfcount h h2                             => :6
pfmerge m h h2                           => +OK
pfcount m                                => :6
pfmerge m2                               => +OK
pfcount m2                               => :0
pfmerge m3 nokey                         => +OK
exists m3                                => :1
pfmerge h                                => +OK
pfcount h                                => :3
set s foo                                => +OK
pfadd s a                                => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfcount s                                => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfcount h s                              => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfmerge m s                              => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfmerge s h                              => -WRONGTYPE Key is not a valid HyperLogLog string value.
set badhll HYLL\x01                      => +OK
pfcount badhll                           => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfadd badhll x                           => -WRONGTYPE Key is not a valid HyperLogLog string value.
rpush l x                                => :1
pfadd l a                                => -WRONGTYPE Operation against a key holding the wrong kind of value
pfcount l                                => -WRONGTYPE Operation against a key holding the wrong kind of value
pfmerge l h                              => -WRONGTYPE Operation against a key holding the wrong kind of value
pfcount                                  => -ERR wrong number of arguments for 'pfcount' command
pfmerge                                  => -ERR wrong number of arguments for 'pfmerge' command
type h                                   => +string
getrange h 0 3                           => HYLL
pfdebug encoding h                       => +sparse
pfdebug todense h                        => :1
pfdebug encoding h                       => +dense
pfdebug todense h                        => :0
pfcount h                                => :3
pfdebug decode h                         => -ERR HLL encoding is not sparse
pfdebug getreg s                         => -WRONGTYPE Key is not a valid HyperLogLog string value.
pfdebug foo h                            => -ERR Unknown PFDEBUG subcommand 'foo'
pfdebug encoding nokey                   => -ERR The specified key does not exist
pfdebug getreg l                         => -WRONGTYPE Operation against a key holding the wrong kind of value
pfselftest                               => +OK
"#,
    );
}
