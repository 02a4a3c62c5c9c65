//! SORT and SORT_RO (Redis's sort.c): sorts the elements of a list, set or
//! sorted set numerically or lexicographically, by the elements themselves or
//! by keys/hash fields named after them (BY pattern), with LIMIT, GET patterns
//! and STORE into a list. BY/GET read keys no key spec names, so they need
//! unrestricted read access under ACL and are refused in cluster mode.

use crate::db::object::{Obj, Value};
use crate::ds::quicklist::Quicklist;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_set::SetVal;
use crate::t_zset::ZSet;
use crate::util::{eq_ic, parse_c_double, parse_i64};
use std::cmp::Ordering;

/// One element being sorted (redisSortObject).
struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorts with a pattern (None: the key is missing).
    cmpobj: Option<Vec<u8>>,
}

/// lookupKeyByPattern: the value `pattern` names for element `subst` —
/// `#` is the element itself; the first `*` is replaced by it; a `->field`
/// suffix after the `*` reads that field of a hash. None when the pattern has
/// no `*`, the key is missing or of the wrong type.
fn lookup_by_pattern(srv: &mut Server, db: usize, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(subst.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let field = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&p| p + 2 < after.len())
        .map(|p| (p, &after[p + 2..]));
    let postfix = match field {
        Some((p, _)) => &after[..p],
        None => after,
    };
    let mut key = Vec::with_capacity(pattern.len() + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let o = srv.lookup_read(db, &key)?;
    match (field, &o.val) {
        (Some((_, f)), Value::Hash(h)) => h.get(f).map(|v| v.to_vec()),
        (None, Value::Str(s)) => Some(s.to_vec()),
        _ => None,
    }
}

/// The sort weight of a value: C's strtod over the whole string (an empty one
/// is 0), refusing trailing garbage, NaN and out-of-range values (ERANGE).
fn sort_score(v: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(v).ok()?;
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    if s.is_empty() {
        return Some(0.0);
    }
    let d = parse_c_double(t)?;
    if d.is_nan() {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let named_inf = lower.trim_start_matches(['+', '-']).starts_with("inf");
    if d.is_infinite() && !named_inf {
        return None; // overflow
    }
    let mantissa = lower.split('e').next().unwrap_or("");
    if (d == 0.0 || d.is_subnormal()) && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return None; // underflow
    }
    Some(d)
}

/// ACLUserCheckCmdWithUnrestrictedKeyAccess for reads: BY and GET may name any key.
fn full_read_access(srv: &Server, c: &Client, argv: &Argv) -> bool {
    match srv.commands.lookup_argv(argv) {
        Some(id) => {
            crate::acl::user_has_unrestricted_read(srv, c.user_id, &srv.commands.cmds[id], argv)
        }
        None => true,
    }
}

fn sort_generic(srv: &mut Server, c: &mut Client, argv: &Argv, readonly: bool) {
    let db = c.db;
    let mut desc = false;
    let mut alpha = false;
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut dontsort = false;
    let mut sortby: Option<&[u8]> = None;
    let mut storekey: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();
    let full_access = full_read_access(srv, c, argv);
    let cluster = srv.config.cluster_enabled;
    let mut j = 2;
    while j < argv.len() {
        let leftargs = argv.len() - j - 1;
        let a = argv.get(j);
        if eq_ic(a, "asc") {
            desc = false;
        } else if eq_ic(a, "desc") {
            desc = true;
        } else if eq_ic(a, "alpha") {
            alpha = true;
        } else if eq_ic(a, "limit") && leftargs >= 2 {
            let (Some(s), Some(n)) = (parse_i64(argv.get(j + 1)), parse_i64(argv.get(j + 2)))
            else {
                return c.add_error_not_int();
            };
            limit_start = s;
            limit_count = n;
            j += 2;
        } else if !readonly && eq_ic(a, "store") && leftargs >= 1 {
            storekey = Some(argv.get(j + 1));
            j += 1;
        } else if eq_ic(a, "by") && leftargs >= 1 {
            let p = argv.get(j + 1);
            sortby = Some(p);
            // A pattern without '*' names one constant key: nothing to sort by.
            if !p.contains(&b'*') {
                dontsort = true;
            } else {
                if cluster {
                    return c.add_error("BY option of SORT denied in Cluster mode.");
                }
                if !full_access {
                    return c.add_error(
                        "BY option of SORT denied due to insufficient ACL permissions.",
                    );
                }
            }
            j += 1;
        } else if eq_ic(a, "get") && leftargs >= 1 {
            if cluster {
                return c.add_error("GET option of SORT denied in Cluster mode.");
            }
            if !full_access {
                return c
                    .add_error("GET option of SORT denied due to insufficient ACL permissions.");
            }
            gets.push(argv.get(j + 1));
            j += 1;
        } else {
            return c.add_error_syntax();
        }
        j += 1;
    }

    let key = argv.get(1);
    enum Kind {
        Missing,
        List,
        Set,
        ZSet,
    }
    let kind = match srv.lookup_read(db, key).map(|o| &o.val) {
        None => Kind::Missing,
        Some(Value::List(_)) => Kind::List,
        Some(Value::Set(_)) => Kind::Set,
        Some(Value::ZSet(_)) => Kind::ZSet,
        Some(_) => return c.add_error_wrongtype(),
    };
    // A set has no order of its own: when the result is stored (and so
    // replicated), or seen by a script, it must not depend on the set's
    // internal order.
    if dontsort
        && matches!(kind, Kind::Set)
        && (storekey.is_some() || c.flags.has(crate::networking::ClientFlags::SCRIPT))
    {
        dontsort = false;
        alpha = true;
        sortby = None;
    }
    // Redis converts a sorted set to the skiplist encoding for SORT, for good.
    if let Kind::ZSet = kind {
        srv.typed_mut::<ZSet>(db, key).convert_to_skiplist();
    }
    let mut vectorlen: i64 = match kind {
        Kind::Missing => 0,
        Kind::List => srv.typed_ref::<Quicklist>(db, key).len() as i64,
        Kind::Set => srv.typed_ref::<SetVal>(db, key).len() as i64,
        Kind::ZSet => srv.typed_ref::<ZSet>(db, key).len() as i64,
    };
    // LIMIT sanity, clamped to the object's size.
    let mut start = limit_start.max(0).min(vectorlen);
    let limit_count = limit_count.max(-1).min(vectorlen);
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start + limit_count - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }
    // Ordered types not being sorted: load just the requested range.
    let ordered = matches!(kind, Kind::List | Kind::ZSet);
    if ordered && dontsort && (start != 0 || end != vectorlen - 1) {
        vectorlen = end - start + 1;
    }
    let item = |obj: Vec<u8>| Item {
        obj,
        score: 0.0,
        cmpobj: None,
    };
    let mut vector: Vec<Item> = Vec::with_capacity(vectorlen.max(0) as usize);
    match kind {
        Kind::Missing => {}
        Kind::List if dontsort => {
            if end >= start {
                let l = srv.typed_ref::<Quicklist>(db, key);
                let from = if desc {
                    l.len() as i64 - start - 1
                } else {
                    start
                };
                let want = vectorlen as usize;
                l.for_each(from as usize, desc, |_, v| {
                    vector.push(item(v.to_vec()));
                    vector.len() < want
                });
                end -= start;
                start = 0;
            }
        }
        Kind::List => {
            let l = srv.typed_ref::<Quicklist>(db, key);
            l.for_each(0, false, |_, v| {
                vector.push(item(v.to_vec()));
                true
            });
        }
        Kind::Set => {
            srv.typed_ref::<SetVal>(db, key)
                .for_each(|m| vector.push(item(m.to_vec())));
        }
        Kind::ZSet if dontsort => {
            let z = srv.typed_ref::<ZSet>(db, key);
            if vectorlen > 0 {
                let (lo, hi) = if desc {
                    let n = z.len() as i64;
                    (n - start - vectorlen, n - start - 1)
                } else {
                    (start, start + vectorlen - 1)
                };
                for (e, _) in z.by_rank(lo as usize, hi as usize, desc) {
                    vector.push(item(e));
                }
            }
            end -= start;
            start = 0;
        }
        Kind::ZSet => {
            let ZSet::Sl(z) = srv.typed_ref::<ZSet>(db, key) else {
                unreachable!("converted to a skiplist above")
            };
            for (e, _) in z.dict.iter() {
                vector.push(item(e.to_vec()));
            }
        }
    }

    let mut conversion_error = false;
    if !dontsort {
        for it in vector.iter_mut() {
            let byval = match sortby {
                Some(p) => match lookup_by_pattern(srv, db, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.obj.clone(),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmpobj = Some(byval);
                }
            } else {
                match sort_score(&byval) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        let bypattern = sortby.is_some();
        let cmp = |a: &Item, b: &Item| -> Ordering {
            let o = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.obj.cmp(&b.obj))
            } else if bypattern {
                match (&a.cmpobj, &b.cmpobj) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                }
            } else {
                a.obj.cmp(&b.obj)
            };
            if desc {
                o.reverse()
            } else {
                o
            }
        };
        // Redis: its partial quicksort when BY and LIMIT are both given, else
        // qsort (glibc's is a stable merge sort); they order ties differently.
        if bypattern && (start != 0 || end != vectorlen - 1) && !vector.is_empty() {
            crate::pqsort::pqsort(&mut vector, start.max(0) as usize, end.max(0) as usize, cmp);
        } else {
            vector.sort_by(cmp);
        }
    }

    let count = (end - start + 1).max(0) as usize;
    let outputlen = if gets.is_empty() {
        count
    } else {
        gets.len() * count
    };
    if conversion_error {
        return c.add_error("One or more scores can't be converted into double");
    }
    let range = if count > 0 {
        &vector[start as usize..=end as usize]
    } else {
        &vector[..0]
    };
    let Some(dst) = storekey else {
        c.add_array_len(outputlen);
        for it in range {
            if gets.is_empty() {
                c.add_bulk(&it.obj);
            }
            for g in &gets {
                match lookup_by_pattern(srv, db, g, &it.obj) {
                    Some(v) => c.add_bulk(&v),
                    None => c.add_null(),
                }
            }
        }
        return;
    };
    let mut list = crate::t_list::new_list(srv);
    for it in range {
        if gets.is_empty() {
            list.push_tail(&it.obj);
        }
        for g in &gets {
            let v = lookup_by_pattern(srv, db, g, &it.obj).unwrap_or_default();
            list.push_tail(&v);
        }
    }
    if outputlen > 0 {
        let lru = srv.new_obj_lru();
        srv.set_key(db, dst, Obj::new(Value::List(list), lru), false);
        srv.notify_keyspace_event(crate::notify::class::LIST, "sortstore", dst, db);
        srv.dirty += outputlen as u64;
    } else if srv.db_delete(db, dst) {
        srv.signal_modified_key(db, dst);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", dst, db);
        srv.dirty += 1;
    }
    c.add_int(outputlen as i64);
}

pub fn sort_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    sort_generic(srv, c, argv, false)
}

pub fn sort_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    sort_generic(srv, c, argv, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_strtod() {
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"  1.5"), Some(1.5));
        assert_eq!(sort_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_score(b"1.5 "), None);
        assert_eq!(sort_score(b"abc"), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"1e-400"), None);
        assert_eq!(sort_score(b"0e5"), Some(0.0));
    }
}
