//! The GEO commands (Redis's geo.c): points are sorted-set members whose score
//! is their 52-bit geohash (src/geohash.rs), so GEOADD is ZADD with computed
//! scores and a radius/box search is a handful of score-range scans over the
//! cells covering the area (src/geohash_helper.rs), filtered by true distance.

use crate::db::object::{Obj, Value};
use crate::db::Typed;
use crate::geohash::{self, HashBits};
use crate::geohash_helper::{self as helper, Shape, ShapeKind};
use crate::long_double::LongDouble;
use crate::networking::Client;
use crate::resp::{Argv, OwnedArgv};
use crate::server::Server;
use crate::t_zset::{Limits, ScoreRange, ZSet};
use crate::util::{eq_ic, parse_f64, parse_i64};

/// One match of a search (geoPoint).
struct Point {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// addReplyHumanLongDouble: coordinates are printed as the long double they
/// become in Redis ("%.17Lf", trimmed).
fn add_human_f64(c: &mut Client, v: f64) {
    let s = LongDouble::from_f64(v).to_human_string();
    if c.resp >= 3 {
        c.add_raw(b",");
        c.add_raw(s.as_bytes());
        c.add_raw(b"\r\n");
    } else {
        c.add_bulk(s.as_bytes());
    }
}

/// fixedpoint_d2string with 4 decimals: distances are rounded (ties to even,
/// as llrint) to 0.0001 of the unit.
fn fmt_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = (d * 10000.0).round_ties_even();
    let neg = scaled < 0.0;
    let v = if scaled.abs() >= 9.223372036854775807e18 {
        // llrint's out-of-range result is LLONG_MIN.
        1u64 << 63
    } else {
        (scaled as i64).unsigned_abs()
    };
    let digits = v.to_string();
    let (int, frac) = if digits.len() > 4 {
        digits.split_at(digits.len() - 4)
    } else {
        ("0", digits.as_str())
    };
    format!(
        "{}{}.{:0>4}",
        if neg || v == 1u64 << 63 { "-" } else { "" },
        int,
        frac
    )
}

fn add_distance(c: &mut Client, d: f64) {
    c.add_bulk(fmt_distance(d).as_bytes());
}

/// extractLongLatOrReply: two doubles, inside the indexable ranges.
fn parse_lon_lat(c: &mut Client, a: &[u8], b: &[u8]) -> Option<[f64; 2]> {
    let (Some(lon), Some(lat)) = (parse_f64(a), parse_f64(b)) else {
        c.add_error_not_float();
        return None;
    };
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        c.add_error(&format!(
            "invalid longitude,latitude pair {:.6},{:.6}",
            lon, lat
        ));
        return None;
    }
    Some([lon, lat])
}

/// extractUnitOrReply: meters per unit.
fn parse_unit(c: &mut Client, u: &[u8]) -> Option<f64> {
    let f = if eq_ic(u, "m") {
        1.0
    } else if eq_ic(u, "km") {
        1000.0
    } else if eq_ic(u, "ft") {
        0.3048
    } else if eq_ic(u, "mi") {
        1609.34
    } else {
        c.add_error("unsupported unit provided. please use M, KM, FT, MI");
        return None;
    };
    Some(f)
}

/// extractDistanceOrReply: "<radius> <unit>" as (radius, conversion).
fn parse_distance(c: &mut Client, r: &[u8], u: &[u8]) -> Option<(f64, f64)> {
    let Some(radius) = parse_f64(r) else {
        c.add_error("need numeric radius");
        return None;
    };
    if radius < 0.0 {
        c.add_error("radius cannot be negative");
        return None;
    }
    Some((radius, parse_unit(c, u)?))
}

/// extractBoxOrReply: "<width> <height> <unit>" as (width, height, conversion).
fn parse_box(c: &mut Client, w: &[u8], h: &[u8], u: &[u8]) -> Option<(f64, f64, f64)> {
    let Some(width) = parse_f64(w) else {
        c.add_error("need numeric width");
        return None;
    };
    let Some(height) = parse_f64(h) else {
        c.add_error("need numeric height");
        return None;
    };
    if height < 0.0 || width < 0.0 {
        c.add_error("height or width cannot be negative");
        return None;
    }
    Some((width, height, parse_unit(c, u)?))
}

/// longLatFromMember.
fn member_position(z: &ZSet, member: &[u8]) -> Option<[f64; 2]> {
    geohash::decode_score(z.score(member)?)
}

/// geoWithinShape: the point's position and distance when inside the shape.
fn within_shape(shape: &Shape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = geohash::decode_score(score)?;
    let [cx, cy] = shape.xy;
    let dist = match shape.kind {
        ShapeKind::Circle { radius } => {
            let d = helper::distance(cx, cy, xy[0], xy[1]);
            if d > radius * shape.conversion {
                return None;
            }
            d
        }
        ShapeKind::Box { width, height } => helper::distance_if_in_rectangle(
            width * shape.conversion,
            height * shape.conversion,
            cx,
            cy,
            xy[0],
            xy[1],
        )?,
    };
    Some((xy, dist))
}

/// membersOfGeoHashBox: the members scoring inside the cell's 52-bit prefix
/// range that fall in the shape, stopping at `limit` points (0: no limit).
fn members_of_box(z: &ZSet, hash: HashBits, shape: &Shape, out: &mut Vec<Point>, limit: usize) {
    let min = geohash::align52(hash);
    let max = geohash::align52(HashBits {
        bits: hash.bits + 1,
        step: hash.step,
    });
    let range = ScoreRange::new(min as f64, max as f64, false, true);
    for (member, score) in z.in_range(&range, false, 0, -1) {
        if let Some((xy, dist)) = within_shape(shape, score) {
            out.push(Point {
                lon: xy[0],
                lat: xy[1],
                dist,
                score,
                member,
            });
        }
        if !out.is_empty() && limit > 0 && out.len() >= limit {
            break;
        }
    }
}

/// membersOfAllNeighbors: the centre cell then its neighbours, skipping
/// excluded ones and a neighbour equal to the one searched just before (huge
/// radii make adjacent cells coincide).
fn members_of_all_neighbors(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let r = helper::areas_by_shape(shape);
    let n = &r.neighbors;
    let cells = [
        r.hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ];
    let mut out = Vec::new();
    let mut last_processed = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last_processed != 0 && *cell == cells[last_processed] {
            continue;
        }
        if !out.is_empty() && limit > 0 && out.len() >= limit {
            break;
        }
        members_of_box(z, *cell, shape, &mut out, limit);
        last_processed = i;
    }
    out
}

// ---------------------------------------------------------------- commands

/// GEOADD key [NX|XX] [CH] lon lat member ...: ZADD with the geohash scores.
pub fn geoadd_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let (mut xx, mut nx) = (false, false);
    let mut longidx = 2;
    while longidx < argv.len() {
        let a = argv.get(longidx);
        if eq_ic(a, "nx") {
            nx = true;
        } else if eq_ic(a, "xx") {
            xx = true;
        } else if !eq_ic(a, "ch") {
            break;
        }
        longidx += 1;
    }
    if (argv.len() - longidx) % 3 != 0 || (xx && nx) {
        return c.add_error_syntax();
    }
    let mut zargv =
        OwnedArgv::from_slices((0..longidx).map(
            |i| {
                if i == 0 {
                    &b"zadd"[..]
                } else {
                    argv.get(i)
                }
            },
        ));
    for i in (longidx..argv.len()).step_by(3) {
        let Some([lon, lat]) = parse_lon_lat(c, argv.get(i), argv.get(i + 1)) else {
            return;
        };
        let hash = geohash::encode_wgs84(lon, lat, geohash::STEP_MAX).unwrap_or_default();
        zargv.push(geohash::align52(hash).to_string().as_bytes());
        zargv.push(argv.get(i + 2));
    }
    crate::t_zset::zadd_command(srv, c, &zargv.view());
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Which command a search runs as (georadiusGeneric's flags).
#[derive(Clone, Copy, PartialEq)]
enum Search {
    /// GEORADIUS[_RO]: centre from lon/lat arguments.
    Coords { store: bool },
    /// GEORADIUSBYMEMBER[_RO]: centre at a member.
    Member { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE (store: the destination is argv[1]).
    Search { store: bool },
}

fn georadius_generic(srv: &mut Server, c: &mut Client, argv: &Argv, src_idx: usize, kind: Search) {
    let db = c.db;
    let src = argv.get(src_idx);
    let exists = match srv.lookup_read_as::<ZSet>(db, src) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => false,
        Typed::Found(_) => true,
    };
    fn zref<'s>(srv: &'s Server, db: usize, key: &[u8], exists: bool) -> Option<&'s ZSet> {
        exists.then(|| srv.typed_ref::<ZSet>(db, key))
    }
    let mut storekey: Option<&[u8]> = None;
    let mut storedist = false;
    let mut shape = Shape {
        xy: [0.0, 0.0],
        conversion: 1.0,
        kind: ShapeKind::Circle { radius: 0.0 },
    };
    let base_args;
    match kind {
        Search::Coords { .. } => {
            base_args = 6;
            let Some(xy) = parse_lon_lat(c, argv.get(2), argv.get(3)) else {
                return;
            };
            shape.xy = xy;
            let Some((radius, conv)) = parse_distance(c, argv.get(4), argv.get(5)) else {
                return;
            };
            shape.kind = ShapeKind::Circle { radius };
            shape.conversion = conv;
        }
        Search::Member { .. } => {
            base_args = 5;
            // Without the key the arguments are still parsed, to pick the reply.
            if let Some(z) = zref(srv, db, src, exists) {
                let Some(xy) = member_position(z, argv.get(2)) else {
                    return c.add_error("could not decode requested zset member");
                };
                shape.xy = xy;
                let Some((radius, conv)) = parse_distance(c, argv.get(3), argv.get(4)) else {
                    return;
                };
                shape.kind = ShapeKind::Circle { radius };
                shape.conversion = conv;
            }
        }
        Search::Search { store } => {
            base_args = if store { 3 } else { 2 };
            if store {
                storekey = Some(argv.get(1));
            }
        }
    }
    let is_search = matches!(kind, Search::Search { .. });
    let nostore = matches!(
        kind,
        Search::Coords { store: false } | Search::Member { store: false }
    );
    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = argv.len().saturating_sub(base_args);
    let mut i = 0;
    while i < remaining {
        let arg = argv.get(base_args + i);
        let next = |k: usize| argv.get(base_args + i + k);
        if eq_ic(arg, "withdist") {
            withdist = true;
        } else if eq_ic(arg, "withhash") {
            withhash = true;
        } else if eq_ic(arg, "withcoord") {
            withcoords = true;
        } else if eq_ic(arg, "any") {
            any = true;
        } else if eq_ic(arg, "asc") {
            sort = Sort::Asc;
        } else if eq_ic(arg, "desc") {
            sort = Sort::Desc;
        } else if eq_ic(arg, "count") && i + 1 < remaining {
            let Some(n) = parse_i64(next(1)) else {
                return c.add_error_not_int();
            };
            if n <= 0 {
                return c.add_error("COUNT must be > 0");
            }
            count = n;
            i += 1;
        } else if (eq_ic(arg, "store") || eq_ic(arg, "storedist"))
            && i + 1 < remaining
            && !nostore
            && !is_search
        {
            storekey = Some(next(1));
            storedist = eq_ic(arg, "storedist");
            i += 1;
        } else if eq_ic(arg, "storedist") && kind == (Search::Search { store: true }) {
            storedist = true;
        } else if eq_ic(arg, "frommember") && i + 1 < remaining && is_search && !fromloc {
            if let Some(z) = zref(srv, db, src, exists) {
                let Some(xy) = member_position(z, next(1)) else {
                    return c.add_error("could not decode requested zset member");
                };
                shape.xy = xy;
            }
            frommember = true;
            i += 1;
        } else if eq_ic(arg, "fromlonlat") && i + 2 < remaining && is_search && !frommember {
            let Some(xy) = parse_lon_lat(c, next(1), next(2)) else {
                return;
            };
            shape.xy = xy;
            fromloc = true;
            i += 2;
        } else if eq_ic(arg, "byradius") && i + 2 < remaining && is_search && !bybox {
            let Some((radius, conv)) = parse_distance(c, next(1), next(2)) else {
                return;
            };
            shape.kind = ShapeKind::Circle { radius };
            shape.conversion = conv;
            byradius = true;
            i += 2;
        } else if eq_ic(arg, "bybox") && i + 3 < remaining && is_search && !byradius {
            let Some((width, height, conv)) = parse_box(c, next(1), next(2), next(3)) else {
                return;
            };
            shape.kind = ShapeKind::Box { width, height };
            shape.conversion = conv;
            bybox = true;
            i += 3;
        } else {
            return c.add_error_syntax();
        }
        i += 1;
    }
    let name = String::from_utf8_lossy(argv.get(0)).into_owned();
    if storekey.is_some() && (withdist || withhash || withcoords) {
        return c.add_error(&format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if kind == (Search::Search { store: true }) {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        ));
    }
    if is_search && !(frommember || fromloc) {
        return c.add_error(&format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name
        ));
    }
    if is_search && !(byradius || bybox) {
        return c.add_error(&format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {}",
            name
        ));
    }
    if any && count == 0 {
        return c.add_error("the ANY argument requires COUNT argument");
    }
    let Some(z) = zref(srv, db, src, exists) else {
        match storekey {
            Some(dst) => {
                if srv.db_delete(db, dst) {
                    srv.signal_modified_key(db, dst);
                    srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", dst, db);
                    srv.dirty += 1;
                }
                c.add_int(0);
            }
            None => c.add_array_len(0),
        }
        return;
    };
    // COUNT needs the nearest points, so it implies ASC (not with ANY).
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let mut points = members_of_all_neighbors(z, &shape, if any { count as usize } else { 0 });
    if points.is_empty() && storekey.is_none() {
        return c.add_array_len(0);
    }
    let returned = if count == 0 || (points.len() as i64) < count {
        points.len()
    } else {
        count as usize
    };
    match sort {
        Sort::Asc => points.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap()),
        Sort::Desc => points.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap()),
        Sort::None => {}
    }
    points.truncate(returned);
    for p in points.iter_mut() {
        p.dist /= shape.conversion;
    }
    let Some(dst) = storekey else {
        let options = withdist as usize + withcoords as usize + withhash as usize;
        c.add_array_len(returned);
        for p in &points {
            if options > 0 {
                c.add_array_len(options + 1);
            }
            c.add_bulk(&p.member);
            if withdist {
                add_distance(c, p.dist);
            }
            if withhash {
                c.add_int(p.score as i64);
            }
            if withcoords {
                c.add_array_len(2);
                add_human_f64(c, p.lon);
                add_human_f64(c, p.lat);
            }
        }
        return;
    };
    if returned > 0 {
        let lim = Limits::of(srv);
        // Built as a skiplist, then shrunk to a listpack if it fits, as Redis does.
        let mut zs = ZSet::create(srv, usize::MAX, usize::MAX);
        for p in &points {
            zs.insert_new(lim, &p.member, if storedist { p.dist } else { p.score });
        }
        zs.shrink_if_fits(srv);
        let lru = srv.new_obj_lru();
        srv.set_key(db, dst, Obj::new(Value::ZSet(zs), lru), false);
        let event = if is_search {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        srv.notify_keyspace_event(crate::notify::class::ZSET, event, dst, db);
        srv.dirty += returned as u64;
    } else if srv.db_delete(db, dst) {
        srv.signal_modified_key(db, dst);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", dst, db);
        srv.dirty += 1;
    }
    c.add_int(returned as i64);
}

pub fn georadius_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 1, Search::Coords { store: true })
}

pub fn georadius_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 1, Search::Coords { store: false })
}

pub fn georadiusbymember_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 1, Search::Member { store: true })
}

pub fn georadiusbymember_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 1, Search::Member { store: false })
}

pub fn geosearch_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 1, Search::Search { store: false })
}

pub fn geosearchstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    georadius_generic(srv, c, argv, 2, Search::Search { store: true })
}

/// The standard geohash alphabet (base32 without a, i, l, o).
const GEOALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// GEOHASH key member...: 11-character standard geohashes. Positions are
/// re-encoded over latitude -90..90 (Redis indexes -85..85), and the 11th
/// character stands for bits Redis does not have, so it is always '0'.
pub fn geohash_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let z = match srv.lookup_read_as::<ZSet>(db, argv.get(1)) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => None,
        Typed::Found(z) => Some(z),
    };
    c.add_array_len(argv.len() - 2);
    for j in 2..argv.len() {
        let Some(xy) = z.and_then(|z| member_position(z, argv.get(j))) else {
            c.add_null();
            continue;
        };
        let lon = geohash::Range {
            min: -180.0,
            max: 180.0,
        };
        let lat = geohash::Range {
            min: -90.0,
            max: 90.0,
        };
        let hash = geohash::encode(&lon, &lat, xy[0], xy[1], 26).unwrap_or_default();
        let mut buf = [0u8; 11];
        for (i, b) in buf.iter_mut().enumerate() {
            let idx = if i == 10 {
                0
            } else {
                ((hash.bits >> (52 - (i + 1) * 5)) & 0x1f) as usize
            };
            *b = GEOALPHABET[idx];
        }
        c.add_bulk(&buf);
    }
}

/// GEOPOS key member...: [longitude, latitude] pairs, null for missing members.
pub fn geopos_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let z = match srv.lookup_read_as::<ZSet>(db, argv.get(1)) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => None,
        Typed::Found(z) => Some(z),
    };
    c.add_array_len(argv.len() - 2);
    for j in 2..argv.len() {
        match z.and_then(|z| member_position(z, argv.get(j))) {
            None => c.add_null_array(),
            Some([lon, lat]) => {
                c.add_array_len(2);
                add_human_f64(c, lon);
                add_human_f64(c, lat);
            }
        }
    }
}

/// GEODIST key member1 member2 [unit].
pub fn geodist_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut to_meter = 1.0;
    if argv.len() == 5 {
        let Some(u) = parse_unit(c, argv.get(4)) else {
            return;
        };
        to_meter = u;
    } else if argv.len() > 5 {
        return c.add_error_syntax();
    }
    let db = c.db;
    let z = match srv.lookup_read_as::<ZSet>(db, argv.get(1)) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => return c.add_null(),
        Typed::Found(z) => z,
    };
    let (Some(a), Some(b)) = (
        member_position(z, argv.get(2)),
        member_position(z, argv.get(3)),
    ) else {
        return c.add_null();
    };
    add_distance(c, helper::distance(a[0], a[1], b[0], b[1]) / to_meter);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_format() {
        assert_eq!(fmt_distance(0.0), "0.0000");
        assert_eq!(fmt_distance(166.27415156960033), "166.2742");
        assert_eq!(fmt_distance(0.00005), "0.0000");
        assert_eq!(fmt_distance(0.7750), "0.7750");
        assert_eq!(fmt_distance(-1.5), "-1.5000");
        assert_eq!(fmt_distance(12345.6789), "12345.6789");
    }
}
