//! Randomized model test: a seeded PRNG drives random commands over a small key space,
//! and every reply is compared with what a plain Rust model of each type predicts
//! (VecDeque lists, HashMap hashes, HashSet sets, BTreeSet-ordered sorted sets by
//! (score, member bytes), byte-string strings with Redis's integer rules). Keys of one
//! type are sometimes hit with another type's commands, so WRONGTYPE paths run too.
//! Rounds alternate Redis's default `*-max-*` thresholds with tiny ones, and small with
//! large values, so listpack/intset <-> hashtable/skiplist conversions happen mid-run;
//! a periodic full check compares every key's content, type and OBJECT ENCODING.
//!
//! The seed is printed; `REDIS_RS_MODEL_SEED=N` replays a run, `REDIS_RS_MODEL_OPS=N`
//! changes the number of commands per round, `REDIS_RS_MODEL_TRACE=1` prints every command. The same run passes against real Redis
//! (`REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test model`).

mod common;

use common::{cmd, run, show, Server};
use redis::Value;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "-ERR value is not an integer or out of range";
const OVERFLOW: &str = "-ERR increment or decrement would overflow";
const NAN: &str = "-ERR resulting score is not a number (NaN)";

/// splitmix64: tiny, seedable, good enough to pick commands.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())].clone()
    }
}

/// A sorted-set score with a total order (NaN never gets stored).
#[derive(Clone, Copy, PartialEq, Debug)]
struct Score(f64);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Score {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.partial_cmp(&o.0).expect("no NaN scores")
    }
}

#[derive(Clone, Default)]
struct Zs {
    scores: HashMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl Zs {
    fn insert(&mut self, m: &[u8], s: f64) {
        if let Some(old) = self.scores.insert(m.to_vec(), s) {
            self.order.remove(&(Score(old), m.to_vec()));
        }
        self.order.insert((Score(s), m.to_vec()));
    }
    fn remove(&mut self, m: &[u8]) -> bool {
        match self.scores.remove(m) {
            Some(s) => self.order.remove(&(Score(s), m.to_vec())),
            None => false,
        }
    }
    fn len(&self) -> usize {
        self.scores.len()
    }
    fn items(&self) -> Vec<(Vec<u8>, f64)> {
        self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
    }
    fn rank(&self, m: &[u8]) -> Option<usize> {
        let s = *self.scores.get(m)?;
        Some(self.order.range(..(Score(s), m.to_vec())).count())
    }
}

#[derive(Clone)]
enum Val {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
    Hash(HashMap<Vec<u8>, Vec<u8>>),
    Set(HashSet<Vec<u8>>),
    Zset(Zs),
}

impl Val {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "string",
            Val::List(_) => "list",
            Val::Hash(_) => "hash",
            Val::Set(_) => "set",
            Val::Zset(_) => "zset",
        }
    }
}

/// A key's value and the encoding Redis must report for it (None: not predicted).
#[derive(Clone)]
struct Entry {
    val: Val,
    big: bool,
    enc_known: bool,
}

#[derive(Clone, Copy)]
struct Limits {
    hash_entries: usize,
    hash_value: usize,
    intset_entries: usize,
    zset_entries: usize,
    zset_value: usize,
}

const DEFAULTS: Limits = Limits {
    hash_entries: 128,
    hash_value: 64,
    intset_entries: 512,
    zset_entries: 128,
    zset_value: 64,
};

const TINY: Limits = Limits {
    hash_entries: 4,
    hash_value: 8,
    intset_entries: 4,
    zset_entries: 4,
    zset_value: 8,
};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    List,
    Hash,
    Set,
    Zset,
}

const KINDS: [Kind; 5] = [Kind::Str, Kind::List, Kind::Hash, Kind::Set, Kind::Zset];

fn pool(k: Kind) -> [&'static str; 3] {
    match k {
        Kind::Str => ["s0", "s1", "s2"],
        Kind::List => ["l0", "l1", "l2"],
        Kind::Hash => ["h0", "h1", "h2"],
        Kind::Set => ["t0", "t1", "t2"],
        Kind::Zset => ["z0", "z1", "z2"],
    }
}

/// Redis's string2ll: an optional '-', no '+', no leading zeros, no spaces, fits i64.
fn strict_i64(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || s == "-0"
    {
        return None;
    }
    s.parse().ok()
}

fn int(n: i64) -> String {
    format!(":{n}")
}

fn bulk(b: &[u8]) -> String {
    show(&Value::BulkString(b.to_vec()))
}

fn arr(items: Vec<String>) -> String {
    format!("[{}]", items.join(", "))
}

fn score_str(s: f64) -> String {
    // Rust's shortest round-trip form equals %.17g for the scores generated here
    // (integers and halves, and the infinities).
    format!("{s}")
}

fn zitems(items: &[(Vec<u8>, f64)], withscores: bool) -> String {
    let mut out = Vec::new();
    for (m, s) in items {
        out.push(bulk(m));
        if withscores {
            out.push(bulk(score_str(*s).as_bytes()));
        }
    }
    arr(out)
}

/// Python-like slice of `len` items by Redis's start/end rules (LRANGE, ZRANGE, GETRANGE).
fn index_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let l = len as i64;
    let mut s = if start < 0 { l + start } else { start };
    let mut e = if end < 0 { l + end } else { end };
    if s < 0 {
        s = 0;
    }
    if e < 0 {
        e = -1;
    }
    if e >= l {
        e = l - 1;
    }
    if s > e || s >= l {
        return None;
    }
    Some((s as usize, e as usize))
}

/// GETRANGE's index rules, which differ from LRANGE's: a negative end clamps to 0.
fn getrange(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let l = len as i64;
    let s = if start < 0 { (l + start).max(0) } else { start };
    let e = if end < 0 { (l + end).max(0) } else { end }.min(l - 1);
    if s > e || len == 0 {
        return None;
    }
    Some((s as usize, e as usize))
}

struct Bound {
    v: f64,
    excl: bool,
}

impl Bound {
    fn below_max(&self, s: f64) -> bool {
        if self.excl {
            s < self.v
        } else {
            s <= self.v
        }
    }
    fn above_min(&self, s: f64) -> bool {
        if self.excl {
            s > self.v
        } else {
            s >= self.v
        }
    }
}

struct Tester {
    con: redis::Connection,
    rng: Rng,
    seed: u64,
    round: usize,
    step: usize,
    db: HashMap<String, Entry>,
    lim: Limits,
    large: bool,
    log: VecDeque<String>,
    trace: bool,
}

impl Tester {
    fn fail(&self, what: String) -> ! {
        panic!(
            "model mismatch (seed {}, round {}, step {}): {}\nlast commands:\n{}\nreplay with REDIS_RS_MODEL_SEED={}",
            self.seed,
            self.round,
            self.step,
            what,
            self.log.iter().cloned().collect::<Vec<_>>().join("\n"),
            self.seed
        )
    }

    fn note(&mut self, args: &[String]) {
        if self.trace {
            eprintln!("{}", args.join(" "));
        }
        if self.log.len() == 30 {
            self.log.pop_front();
        }
        self.log.push_back(args.join(" "));
    }

    /// Runs a command and compares its shown reply with `want`.
    fn expect(&mut self, args: &[String], want: String) {
        self.note(args);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = run(&mut self.con, &argv);
        if got != want {
            self.fail(format!("{}\n  want {want}\n  got  {got}", args.join(" ")));
        }
    }

    /// Runs a command whose reply is an array in no defined order; compares it sorted
    /// (`pairs`: an array of field/value pairs, compared as sorted pairs).
    fn expect_unordered(&mut self, args: &[String], want: Option<Vec<String>>, pairs: bool) {
        self.note(args);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = match (cmd(&mut self.con, &argv), &want) {
            (Err(e), None) if format!("-{}", common::err_text(&e)) == WRONGTYPE => return,
            (Ok(Value::Array(items)), Some(_)) => {
                let shown: Vec<String> = items.iter().map(show).collect();
                if pairs {
                    shown.chunks(2).map(|p| p.join(" => ")).collect()
                } else {
                    shown
                }
            }
            (other, _) => self.fail(format!("{}: unexpected {other:?}", args.join(" "))),
        };
        let Some(mut want) = want else {
            self.fail(format!("{}: want WRONGTYPE, got {got:?}", args.join(" ")))
        };
        let mut got = got;
        got.sort();
        want.sort();
        if got != want {
            self.fail(format!(
                "{}\n  want (any order) {want:?}\n  got  {got:?}",
                args.join(" ")
            ));
        }
    }

    /// Runs a command and returns its raw reply, for replies chosen at random.
    fn query(&mut self, args: &[String]) -> redis::RedisResult<Value> {
        self.note(args);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        cmd(&mut self.con, &argv)
    }

    /// How many elements one write adds: a few, or up to `large_max` in large rounds.
    fn batch(&mut self, large_max: i64) -> i64 {
        if self.large {
            self.rng.range(1, large_max)
        } else {
            self.rng.range(1, 3)
        }
    }

    fn key(&mut self, k: Kind) -> String {
        let k = if self.rng.chance(8) {
            self.rng.pick(&KINDS)
        } else {
            k
        };
        self.rng.pick(&pool(k)).to_string()
    }

    fn value(&mut self) -> Vec<u8> {
        let r = self.rng.below(100);
        if self.large && r < 15 {
            let n = self.rng.range(10, 120) as usize;
            return format!("{}{}", "v".repeat(n), self.rng.below(10)).into_bytes();
        }
        match r {
            0..=29 => self.rng.range(-3, 20).to_string().into_bytes(),
            30..=34 => self
                .rng
                .pick(&[
                    "007",
                    "-0",
                    "+5",
                    "9223372036854775807",
                    "9223372036854775808",
                    "",
                    "1.5",
                ])
                .as_bytes()
                .to_vec(),
            35..=39 => format!("long-value-{}", self.rng.below(5)).into_bytes(),
            _ => self
                .rng
                .pick(&["a", "b", "c", "d", "e", "f", "g", "x"])
                .as_bytes()
                .to_vec(),
        }
    }

    fn member(&mut self) -> Vec<u8> {
        let v = self.value();
        if v.is_empty() {
            b"m".to_vec()
        } else {
            v
        }
    }

    fn score(&mut self) -> String {
        match self.rng.below(20) {
            0 => "-inf".into(),
            1 => "+inf".into(),
            2..=6 => format!("{}.5", self.rng.range(-3, 3)),
            _ => self.rng.range(-3, 6).to_string(),
        }
    }

    fn get(&self, key: &str) -> Option<&Entry> {
        self.db.get(key)
    }

    /// None: missing; Some(true): the wanted type; Some(false): another type.
    fn is(&self, key: &str, k: Kind) -> Option<bool> {
        self.get(key).map(|e| {
            matches!(
                (&e.val, k),
                (Val::Str(_), Kind::Str)
                    | (Val::List(_), Kind::List)
                    | (Val::Hash(_), Kind::Hash)
                    | (Val::Set(_), Kind::Set)
                    | (Val::Zset(_), Kind::Zset)
            )
        })
    }

    fn put(&mut self, key: &str, val: Val) {
        let enc_known = self.db.get(key).map_or(true, |e| e.enc_known);
        let big = self.db.get(key).is_some_and(|e| e.big);
        self.db.insert(
            key.to_string(),
            Entry {
                val,
                big,
                enc_known,
            },
        );
        self.reencode(key, false);
    }

    /// Replaces a key by a value created from scratch (SET, *STORE, RENAME...).
    fn put_new(&mut self, key: &str, val: Val) {
        self.db.remove(key);
        self.put(key, val);
        self.reencode(key, true);
    }

    /// Updates the predicted encoding after a write: conversions to the big encodings
    /// are one-way, except where `fresh` (a value built anew) picks the compact one again.
    fn reencode(&mut self, key: &str, fresh: bool) {
        let lim = self.lim;
        let Some(e) = self.db.get_mut(key) else {
            return;
        };
        let over = match &e.val {
            Val::Hash(h) => {
                h.len() > lim.hash_entries
                    || h.iter()
                        .any(|(f, v)| f.len() > lim.hash_value || v.len() > lim.hash_value)
            }
            Val::Set(s) => {
                s.len() > lim.intset_entries || s.iter().any(|m| strict_i64(m).is_none())
            }
            Val::Zset(z) => {
                z.len() > lim.zset_entries || z.scores.keys().any(|m| m.len() > lim.zset_value)
            }
            _ => false,
        };
        if fresh {
            e.big = over;
            e.enc_known = true;
        } else {
            e.big |= over;
        }
    }

    /// hashTypeTryConversion: HSET (and HSETNX when it writes) convert a listpack hash when
    /// any field or value argument is too long, even one overwritten by a later pair.
    fn hash_args_convert(&mut self, key: &str, args: &[String]) {
        let max = self.lim.hash_value;
        if args[2..].iter().any(|a| a.len() > max) {
            if let Some(e) = self.db.get_mut(key) {
                e.big = true;
            }
        }
    }

    fn remove_if_empty(&mut self, key: &str) {
        let empty = match self.db.get(key).map(|e| &e.val) {
            Some(Val::List(l)) => l.is_empty(),
            Some(Val::Hash(h)) => h.is_empty(),
            Some(Val::Set(s)) => s.is_empty(),
            Some(Val::Zset(z)) => z.len() == 0,
            _ => false,
        };
        if empty {
            self.db.remove(key);
        }
    }

    fn s(args: &[&[u8]]) -> Vec<String> {
        args.iter()
            .map(|a| String::from_utf8(a.to_vec()).unwrap())
            .collect()
    }

    // ---------------------------------------------------------------- strings

    fn op_string(&mut self) {
        let key = self.key(Kind::Str);
        let k = key.as_bytes();
        let is = self.is(&key, Kind::Str);
        let cur: Option<Vec<u8>> = match self.get(&key).map(|e| &e.val) {
            Some(Val::Str(v)) => Some(v.clone()),
            _ => None,
        };
        match self.rng.below(11) {
            0 => {
                let v = self.value();
                self.expect(&Self::s(&[b"SET", k, &v]), "+OK".into());
                self.put_new(&key, Val::Str(v));
            }
            1 => {
                let want = match is {
                    Some(false) => WRONGTYPE.into(),
                    None => "(nil)".into(),
                    Some(true) => bulk(cur.as_ref().unwrap()),
                };
                self.expect(&Self::s(&[b"GET", k]), want);
            }
            2 => {
                let v = self.value();
                if is == Some(false) {
                    return self.expect(&Self::s(&[b"APPEND", k, &v]), WRONGTYPE.into());
                }
                let mut n = cur.unwrap_or_default();
                n.extend_from_slice(&v);
                self.expect(&Self::s(&[b"APPEND", k, &v]), int(n.len() as i64));
                self.put(&key, Val::Str(n));
            }
            3 | 4 => {
                let by: i64 = if self.rng.chance(5) {
                    self.rng
                        .pick(&[i64::MAX, i64::MIN + 1, -9223372036854775807])
                } else {
                    self.rng.range(-5, 5)
                };
                let (args, by) = match self.rng.below(4) {
                    0 => (Self::s(&[b"INCR", k]), 1),
                    1 => (Self::s(&[b"DECR", k]), -1),
                    2 => (Self::s(&[b"INCRBY", k, by.to_string().as_bytes()]), by),
                    _ => (Self::s(&[b"DECRBY", k, by.to_string().as_bytes()]), -by),
                };
                if is == Some(false) {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let old = match &cur {
                    None => Some(0),
                    Some(v) => strict_i64(v),
                };
                match old {
                    None => self.expect(&args, NOT_INT.into()),
                    Some(o) => match o.checked_add(by) {
                        None => self.expect(&args, OVERFLOW.into()),
                        Some(n) => {
                            self.expect(&args, int(n));
                            self.put(&key, Val::Str(n.to_string().into_bytes()));
                        }
                    },
                }
            }
            5 => {
                let off = self.rng.range(0, 12);
                let v = if self.rng.chance(10) {
                    Vec::new()
                } else {
                    self.value()
                };
                let args = Self::s(&[b"SETRANGE", k, off.to_string().as_bytes(), &v]);
                if is == Some(false) {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let mut n = cur.clone().unwrap_or_default();
                if v.is_empty() {
                    return self.expect(&args, int(n.len() as i64));
                }
                let off = off as usize;
                if n.len() < off + v.len() {
                    n.resize(off + v.len(), 0);
                }
                n[off..off + v.len()].copy_from_slice(&v);
                self.expect(&args, int(n.len() as i64));
                self.put(&key, Val::Str(n));
            }
            6 => {
                let (a, b) = (self.rng.range(-8, 8), self.rng.range(-8, 8));
                let args = Self::s(&[
                    b"GETRANGE",
                    k,
                    a.to_string().as_bytes(),
                    b.to_string().as_bytes(),
                ]);
                let want = match (is, &cur) {
                    (Some(false), _) => WRONGTYPE.into(),
                    (_, None) => "\"\"".into(),
                    (_, Some(v)) => match getrange(v.len(), a, b) {
                        Some((s, e)) => bulk(&v[s..=e]),
                        None => "\"\"".into(),
                    },
                };
                self.expect(&args, want);
            }
            7 => {
                let want = match is {
                    Some(false) => WRONGTYPE.into(),
                    _ => int(cur.map_or(0, |v| v.len() as i64)),
                };
                self.expect(&Self::s(&[b"STRLEN", k]), want);
            }
            8 => {
                let want = match is {
                    Some(false) => WRONGTYPE.into(),
                    None => "(nil)".into(),
                    Some(true) => bulk(cur.as_ref().unwrap()),
                };
                self.expect(&Self::s(&[b"GETDEL", k]), want);
                if is == Some(true) {
                    self.db.remove(&key);
                }
            }
            9 => {
                let v = self.value();
                let want = match is {
                    Some(false) => WRONGTYPE.into(),
                    None => "(nil)".into(),
                    Some(true) => bulk(cur.as_ref().unwrap()),
                };
                self.expect(&Self::s(&[b"GETSET", k, &v]), want);
                if is != Some(false) {
                    self.put_new(&key, Val::Str(v));
                }
            }
            _ => {
                let other = self.key(Kind::Str);
                let shown: Vec<String> = [&key, &other]
                    .iter()
                    .map(|x| match self.get(x).map(|e| &e.val) {
                        Some(Val::Str(v)) => bulk(v),
                        _ => "(nil)".into(),
                    })
                    .collect();
                self.expect(&Self::s(&[b"MGET", k, other.as_bytes()]), arr(shown));
            }
        }
    }

    // ------------------------------------------------------------------ lists

    fn list(&self, key: &str) -> VecDeque<Vec<u8>> {
        match self.get(key).map(|e| &e.val) {
            Some(Val::List(l)) => l.clone(),
            _ => VecDeque::new(),
        }
    }

    fn set_list(&mut self, key: &str, l: VecDeque<Vec<u8>>) {
        self.put(key, Val::List(l));
        self.remove_if_empty(key);
    }

    fn op_list(&mut self) {
        let key = self.key(Kind::List);
        let k = key.as_bytes();
        let is = self.is(&key, Kind::List);
        let mut l = self.list(&key);
        let wrong = is == Some(false);
        match self.rng.below(17) {
            16 => return self.lmpop(),
            0..=2 => {
                let n = self.batch(30);
                let vals: Vec<Vec<u8>> = (0..n).map(|_| self.value()).collect();
                let left = self.rng.chance(50);
                let x = self.rng.chance(15);
                let name: &[u8] = match (left, x) {
                    (true, false) => b"LPUSH",
                    (false, false) => b"RPUSH",
                    (true, true) => b"LPUSHX",
                    (false, true) => b"RPUSHX",
                };
                let mut args = Self::s(&[name, k]);
                args.extend(vals.iter().map(|v| String::from_utf8(v.clone()).unwrap()));
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if x && is.is_none() {
                    return self.expect(&args, int(0));
                }
                for v in vals {
                    if left {
                        l.push_front(v)
                    } else {
                        l.push_back(v)
                    }
                }
                self.expect(&args, int(l.len() as i64));
                self.set_list(&key, l);
            }
            3 | 4 => {
                let left = self.rng.chance(50);
                let name: &[u8] = if left { b"LPOP" } else { b"RPOP" };
                let count = self.rng.chance(50).then(|| self.rng.range(0, 4));
                let mut args = Self::s(&[name, k]);
                if let Some(c) = count {
                    args.push(c.to_string());
                }
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if is.is_none() {
                    return self.expect(&args, "(nil)".into());
                }
                let n = count.unwrap_or(1).min(l.len() as i64) as usize;
                let popped: Vec<String> = (0..n)
                    .map(|_| {
                        let v = if left { l.pop_front() } else { l.pop_back() };
                        bulk(&v.unwrap())
                    })
                    .collect();
                let want = match count {
                    None => popped[0].clone(),
                    Some(_) => arr(popped),
                };
                self.expect(&args, want);
                self.set_list(&key, l);
            }
            5 => {
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    int(l.len() as i64)
                };
                self.expect(&Self::s(&[b"LLEN", k]), want);
            }
            6 => {
                let i = self.rng.range(-6, 8);
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    let idx = if i < 0 { l.len() as i64 + i } else { i };
                    match (idx >= 0).then(|| l.get(idx as usize)).flatten() {
                        Some(v) => bulk(v),
                        None => "(nil)".into(),
                    }
                };
                self.expect(&Self::s(&[b"LINDEX", k, i.to_string().as_bytes()]), want);
            }
            7 => {
                let (a, b) = (self.rng.range(-8, 8), self.rng.range(-8, 10));
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    match index_range(l.len(), a, b) {
                        Some((s, e)) => arr((s..=e).map(|i| bulk(&l[i])).collect()),
                        None => "[]".into(),
                    }
                };
                let args = Self::s(&[
                    b"LRANGE",
                    k,
                    a.to_string().as_bytes(),
                    b.to_string().as_bytes(),
                ]);
                self.expect(&args, want);
            }
            8 => {
                let i = self.rng.range(-5, 6);
                let v = self.value();
                let args = Self::s(&[b"LSET", k, i.to_string().as_bytes(), &v]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if is.is_none() {
                    return self.expect(&args, "-ERR no such key".into());
                }
                let idx = if i < 0 { l.len() as i64 + i } else { i };
                if idx < 0 || idx as usize >= l.len() {
                    return self.expect(&args, "-ERR index out of range".into());
                }
                l[idx as usize] = v;
                self.expect(&args, "+OK".into());
                self.set_list(&key, l);
            }
            9 => {
                let before = self.rng.chance(50);
                let pivot = self.value();
                let v = self.value();
                let where_: &[u8] = if before { b"BEFORE" } else { b"AFTER" };
                let args = Self::s(&[b"LINSERT", k, where_, &pivot, &v]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if is.is_none() {
                    return self.expect(&args, int(0));
                }
                match l.iter().position(|x| *x == pivot) {
                    None => self.expect(&args, int(-1)),
                    Some(p) => {
                        l.insert(if before { p } else { p + 1 }, v);
                        self.expect(&args, int(l.len() as i64));
                        self.set_list(&key, l);
                    }
                }
            }
            10 => {
                let count = self.rng.range(-2, 2);
                let v = self.value();
                let args = Self::s(&[b"LREM", k, count.to_string().as_bytes(), &v]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let limit = if count == 0 {
                    usize::MAX
                } else {
                    count.unsigned_abs() as usize
                };
                let mut removed = 0;
                let mut idx: Vec<usize> = (0..l.len()).collect();
                if count < 0 {
                    idx.reverse();
                }
                let mut drop = HashSet::new();
                for i in idx {
                    if removed < limit && l[i] == v {
                        drop.insert(i);
                        removed += 1;
                    }
                }
                let kept: VecDeque<Vec<u8>> = l
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, x)| x.clone())
                    .collect();
                self.expect(&args, int(removed as i64));
                if is.is_some() {
                    self.set_list(&key, kept);
                }
            }
            11 => {
                let (a, b) = (self.rng.range(-6, 6), self.rng.range(-6, 8));
                let args = Self::s(&[
                    b"LTRIM",
                    k,
                    a.to_string().as_bytes(),
                    b.to_string().as_bytes(),
                ]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                self.expect(&args, "+OK".into());
                if is.is_some() {
                    let kept = match index_range(l.len(), a, b) {
                        Some((s, e)) => l.range(s..=e).cloned().collect(),
                        None => VecDeque::new(),
                    };
                    self.set_list(&key, kept);
                }
            }
            12 => {
                let v = self.value();
                let rank = self.rng.pick(&[1i64, 2, -1, -2]);
                let count = self.rng.chance(50).then(|| self.rng.range(0, 3));
                let mut args = Self::s(&[b"LPOS", k, &v, b"RANK", rank.to_string().as_bytes()]);
                if let Some(c) = count {
                    args.push("COUNT".into());
                    args.push(c.to_string());
                }
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let mut idx: Vec<usize> = (0..l.len()).filter(|&i| l[i] == v).collect();
                if rank < 0 {
                    idx.reverse();
                }
                let skip = rank.unsigned_abs() as usize - 1;
                let hits: Vec<usize> = idx.into_iter().skip(skip).collect();
                let want = match count {
                    None => hits.first().map_or("(nil)".into(), |&i| int(i as i64)),
                    Some(c) => {
                        let n = if c == 0 {
                            hits.len()
                        } else {
                            (c as usize).min(hits.len())
                        };
                        if is.is_none() {
                            "[]".into()
                        } else {
                            arr(hits[..n].iter().map(|&i| int(i as i64)).collect())
                        }
                    }
                };
                self.expect(&args, want);
            }
            _ => {
                let dst = self.key(Kind::List);
                let (from_left, to_left) = (self.rng.chance(50), self.rng.chance(50));
                let args = if self.rng.chance(30) && !from_left && to_left {
                    Self::s(&[b"RPOPLPUSH", k, dst.as_bytes()])
                } else {
                    let side = |l: bool| if l { &b"LEFT"[..] } else { &b"RIGHT"[..] };
                    Self::s(&[b"LMOVE", k, dst.as_bytes(), side(from_left), side(to_left)])
                };
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if is.is_none() {
                    return self.expect(&args, "(nil)".into());
                }
                if self.is(&dst, Kind::List) == Some(false) {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let v = if from_left {
                    l.pop_front()
                } else {
                    l.pop_back()
                }
                .unwrap();
                self.expect(&args, bulk(&v));
                self.set_list(&key, l);
                let mut d = self.list(&dst);
                if to_left {
                    d.push_front(v)
                } else {
                    d.push_back(v)
                }
                self.set_list(&dst, d);
            }
        }
    }

    // ----------------------------------------------------------------- hashes

    fn hash(&self, key: &str) -> HashMap<Vec<u8>, Vec<u8>> {
        match self.get(key).map(|e| &e.val) {
            Some(Val::Hash(h)) => h.clone(),
            _ => HashMap::new(),
        }
    }

    fn field(&mut self) -> Vec<u8> {
        if self.large && self.rng.chance(5) {
            return format!("field-{}-{}", "f".repeat(70), self.rng.below(3)).into_bytes();
        }
        let n = if self.large { 300 } else { 8 };
        format!("f{}", self.rng.below(n)).into_bytes()
    }

    fn op_hash(&mut self) {
        let key = self.key(Kind::Hash);
        let k = key.as_bytes();
        let is = self.is(&key, Kind::Hash);
        let wrong = is == Some(false);
        let mut h = self.hash(&key);
        match self.rng.below(13) {
            12 => return self.hrandfield(&key, is, &h),
            0..=2 => {
                let n = self.batch(40);
                let mut args = Self::s(&[b"HSET", k]);
                let mut added = 0;
                let mut nh = h.clone();
                for _ in 0..n {
                    let (f, v) = (self.field(), self.value());
                    args.push(String::from_utf8(f.clone()).unwrap());
                    args.push(String::from_utf8(v.clone()).unwrap());
                    if nh.insert(f, v).is_none() {
                        added += 1;
                    }
                }
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                self.expect(&args, int(added));
                self.put(&key, Val::Hash(nh));
                self.hash_args_convert(&key, &args);
            }
            3 => {
                let (f, v) = (self.field(), self.value());
                let args = Self::s(&[b"HSETNX", k, &f, &v]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if h.contains_key(&f) {
                    return self.expect(&args, int(0));
                }
                h.insert(f, v);
                self.expect(&args, int(1));
                self.put(&key, Val::Hash(h));
                self.hash_args_convert(&key, &args);
            }
            4 => {
                let f = self.field();
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    h.get(&f).map_or("(nil)".into(), |v| bulk(v))
                };
                self.expect(&Self::s(&[b"HGET", k, &f]), want);
            }
            5 => {
                let fs: Vec<Vec<u8>> = (0..3).map(|_| self.field()).collect();
                let mut args = Self::s(&[b"HMGET", k]);
                args.extend(fs.iter().map(|f| String::from_utf8(f.clone()).unwrap()));
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    arr(fs
                        .iter()
                        .map(|f| h.get(f).map_or("(nil)".into(), |v| bulk(v)))
                        .collect())
                };
                self.expect(&args, want);
            }
            6 => {
                let fs: Vec<Vec<u8>> = (0..self.rng.range(1, 3)).map(|_| self.field()).collect();
                let mut args = Self::s(&[b"HDEL", k]);
                args.extend(fs.iter().map(|f| String::from_utf8(f.clone()).unwrap()));
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let n = fs.iter().filter(|f| h.remove(*f).is_some()).count();
                self.expect(&args, int(n as i64));
                if is.is_some() {
                    self.put(&key, Val::Hash(h));
                    self.remove_if_empty(&key);
                }
            }
            7 => {
                let f = self.field();
                let (name, want): (&[u8], String) = match self.rng.below(3) {
                    0 => (b"HLEN", int(h.len() as i64)),
                    1 => (b"HSTRLEN", int(h.get(&f).map_or(0, |v| v.len() as i64))),
                    _ => (b"HEXISTS", int(h.contains_key(&f) as i64)),
                };
                let args = if name == b"HLEN" {
                    Self::s(&[name, k])
                } else {
                    Self::s(&[name, k, &f])
                };
                self.expect(&args, if wrong { WRONGTYPE.into() } else { want });
            }
            8 => {
                let f = self.field();
                let by = if self.rng.chance(5) {
                    i64::MAX
                } else {
                    self.rng.range(-5, 5)
                };
                let args = Self::s(&[b"HINCRBY", k, &f, by.to_string().as_bytes()]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let old = match h.get(&f) {
                    None => Some(0),
                    Some(v) => strict_i64(v),
                };
                match old {
                    None => self.expect(&args, "-ERR hash value is not an integer".into()),
                    Some(o) => match o.checked_add(by) {
                        None => self.expect(&args, OVERFLOW.into()),
                        Some(n) => {
                            self.expect(&args, int(n));
                            h.insert(f, n.to_string().into_bytes());
                            self.put(&key, Val::Hash(h));
                        }
                    },
                }
            }
            9 => {
                let want = (!wrong).then(|| {
                    h.iter()
                        .map(|(f, v)| format!("{} => {}", bulk(f), bulk(v)))
                        .collect()
                });
                self.expect_unordered(&Self::s(&[b"HGETALL", k]), want, true);
            }
            10 => {
                let want = (!wrong).then(|| h.keys().map(|f| bulk(f)).collect());
                self.expect_unordered(&Self::s(&[b"HKEYS", k]), want, false);
            }
            _ => {
                let want = (!wrong).then(|| h.values().map(|v| bulk(v)).collect());
                self.expect_unordered(&Self::s(&[b"HVALS", k]), want, false);
            }
        }
    }

    // ------------------------------------------------------------------- sets

    fn set(&self, key: &str) -> HashSet<Vec<u8>> {
        match self.get(key).map(|e| &e.val) {
            Some(Val::Set(s)) => s.clone(),
            _ => HashSet::new(),
        }
    }

    fn smember(&mut self) -> Vec<u8> {
        if self.rng.chance(60) {
            let n = if self.large { 700 } else { 12 };
            self.rng.range(-2, n).to_string().into_bytes()
        } else {
            self.member()
        }
    }

    fn op_set(&mut self) {
        let key = self.key(Kind::Set);
        let k = key.as_bytes();
        let is = self.is(&key, Kind::Set);
        let wrong = is == Some(false);
        let mut s = self.set(&key);
        match self.rng.below(13) {
            0..=2 => {
                let n = self.batch(60);
                let ms: Vec<Vec<u8>> = (0..n).map(|_| self.smember()).collect();
                let mut args = Self::s(&[b"SADD", k]);
                args.extend(ms.iter().map(|m| String::from_utf8(m.clone()).unwrap()));
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let added = ms.into_iter().filter(|m| s.insert(m.clone())).count();
                self.expect(&args, int(added as i64));
                self.put(&key, Val::Set(s));
            }
            3 => {
                let ms: Vec<Vec<u8>> = (0..self.rng.range(1, 3)).map(|_| self.smember()).collect();
                let mut args = Self::s(&[b"SREM", k]);
                args.extend(ms.iter().map(|m| String::from_utf8(m.clone()).unwrap()));
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let n = ms.iter().filter(|m| s.remove(*m)).count();
                self.expect(&args, int(n as i64));
                if is.is_some() {
                    self.put(&key, Val::Set(s));
                    self.remove_if_empty(&key);
                }
            }
            4 => {
                let (a, b) = (self.smember(), self.smember());
                let (args, want) = if self.rng.chance(50) {
                    (Self::s(&[b"SISMEMBER", k, &a]), int(s.contains(&a) as i64))
                } else {
                    (
                        Self::s(&[b"SMISMEMBER", k, &a, &b]),
                        arr(vec![int(s.contains(&a) as i64), int(s.contains(&b) as i64)]),
                    )
                };
                self.expect(&args, if wrong { WRONGTYPE.into() } else { want });
            }
            5 => {
                let want = if wrong {
                    WRONGTYPE.into()
                } else {
                    int(s.len() as i64)
                };
                self.expect(&Self::s(&[b"SCARD", k]), want);
            }
            6 => {
                let want = (!wrong).then(|| s.iter().map(|m| bulk(m)).collect());
                self.expect_unordered(&Self::s(&[b"SMEMBERS", k]), want, false);
            }
            7 => {
                // SPOP [count]: the model checks that what came out was in the set.
                let count = self.rng.chance(50).then(|| self.rng.range(0, 6));
                let mut args = Self::s(&[b"SPOP", k]);
                if let Some(c) = count {
                    args.push(c.to_string());
                }
                let got = self.query(&args);
                let popped: Vec<Vec<u8>> = match (got, count) {
                    (Err(e), _) if wrong && format!("-{}", common::err_text(&e)) == WRONGTYPE => {
                        return
                    }
                    (Ok(Value::Nil), None) if is.is_none() => return,
                    (Ok(Value::BulkString(m)), None) if is == Some(true) => vec![m],
                    (Ok(Value::Array(items)), Some(_)) if !wrong => items
                        .into_iter()
                        .map(|v| match v {
                            Value::BulkString(m) => m,
                            other => self.fail(format!("SPOP gave {other:?}")),
                        })
                        .collect(),
                    (other, _) => self.fail(format!("{}: unexpected {other:?}", args.join(" "))),
                };
                let want_n = count.map_or(1, |c| (c as usize).min(s.len()));
                let distinct: HashSet<&Vec<u8>> = popped.iter().collect();
                if popped.len() != want_n
                    || distinct.len() != popped.len()
                    || !popped.iter().all(|m| s.contains(m))
                {
                    self.fail(format!("{}: popped {popped:?} from {s:?}", args.join(" ")));
                }
                let size = s.len();
                for m in &popped {
                    s.remove(m);
                }
                if is.is_some() {
                    self.put(&key, Val::Set(s));
                    self.remove_if_empty(&key);
                    // Popping most of a set rebuilds it from the remaining members
                    // (spopWithCountCommand's case 3), which picks its encoding afresh.
                    if let Some(c) = count {
                        let c = c as usize;
                        if c > 0 && c < size && (size - c) * 5 <= c {
                            self.reencode(&key, true);
                        }
                    }
                }
            }
            8 => {
                let count = self.rng.range(-5, 5);
                let args = Self::s(&[b"SRANDMEMBER", k, count.to_string().as_bytes()]);
                let got = self.query(&args);
                let items: Vec<Vec<u8>> = match got {
                    Err(e) if wrong && format!("-{}", common::err_text(&e)) == WRONGTYPE => return,
                    Ok(Value::Array(items)) if !wrong => items
                        .into_iter()
                        .map(|v| match v {
                            Value::BulkString(m) => m,
                            other => self.fail(format!("SRANDMEMBER gave {other:?}")),
                        })
                        .collect(),
                    other => self.fail(format!("{}: unexpected {other:?}", args.join(" "))),
                };
                let distinct: HashSet<&Vec<u8>> = items.iter().collect();
                let ok = items.iter().all(|m| s.contains(m))
                    && if count >= 0 {
                        items.len() == (count as usize).min(s.len())
                            && distinct.len() == items.len()
                    } else {
                        items.len()
                            == if s.is_empty() {
                                0
                            } else {
                                count.unsigned_abs() as usize
                            }
                    };
                if !ok {
                    self.fail(format!("{}: got {items:?} from {s:?}", args.join(" ")));
                }
            }
            9 => {
                let dst = self.key(Kind::Set);
                let m = self.smember();
                let args = Self::s(&[b"SMOVE", k, dst.as_bytes(), &m]);
                if is.is_none() {
                    return self.expect(&args, int(0));
                }
                if wrong || self.is(&dst, Kind::Set) == Some(false) {
                    return self.expect(&args, WRONGTYPE.into());
                }
                if dst == key {
                    return self.expect(&args, int(s.contains(&m) as i64));
                }
                if !s.remove(&m) {
                    return self.expect(&args, int(0));
                }
                self.expect(&args, int(1));
                self.put(&key, Val::Set(s));
                self.remove_if_empty(&key);
                let mut d = self.set(&dst);
                d.insert(m);
                self.put(&dst, Val::Set(d));
            }
            _ => self.op_set_algebra(),
        }
    }

    fn op_set_algebra(&mut self) {
        let keys: Vec<String> = (0..self.rng.range(1, 3))
            .map(|_| self.key(Kind::Set))
            .collect();
        let any_wrong = keys.iter().any(|k| self.is(k, Kind::Set) == Some(false));
        let sets: Vec<HashSet<Vec<u8>>> = keys.iter().map(|k| self.set(k)).collect();
        let op = self.rng.below(3);
        let result: HashSet<Vec<u8>> = match op {
            0 => sets[0]
                .iter()
                .filter(|m| sets[1..].iter().all(|s| s.contains(*m)))
                .cloned()
                .collect(),
            1 => sets.iter().flatten().cloned().collect(),
            _ => sets[0]
                .iter()
                .filter(|m| sets[1..].iter().all(|s| !s.contains(*m)))
                .cloned()
                .collect(),
        };
        let name = ["SINTER", "SUNION", "SDIFF"][op];
        let keys_s: Vec<String> = keys.clone();
        match self.rng.below(3) {
            0 => {
                let mut args = vec![name.to_string()];
                args.extend(keys_s);
                let want = (!any_wrong).then(|| result.iter().map(|m| bulk(m)).collect());
                self.expect_unordered(&args, want, false);
            }
            1 if op == 0 => {
                let limit = self.rng.range(0, 3);
                let mut args = vec!["SINTERCARD".to_string(), keys.len().to_string()];
                args.extend(keys_s);
                args.push("LIMIT".into());
                args.push(limit.to_string());
                let n = if limit == 0 {
                    result.len()
                } else {
                    result.len().min(limit as usize)
                };
                let want = if any_wrong {
                    WRONGTYPE.into()
                } else {
                    int(n as i64)
                };
                self.expect(&args, want);
            }
            _ => {
                let dst = self.key(Kind::Set);
                let mut args = vec![format!("{name}STORE"), dst.clone()];
                args.extend(keys_s);
                if any_wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                self.expect(&args, int(result.len() as i64));
                self.db.remove(&dst);
                if !result.is_empty() {
                    self.put_new(&dst, Val::Set(result));
                }
            }
        }
    }

    // ------------------------------------------------------------ sorted sets

    fn zset(&self, key: &str) -> Zs {
        match self.get(key).map(|e| &e.val) {
            Some(Val::Zset(z)) => z.clone(),
            _ => Zs::default(),
        }
    }

    fn zmember(&mut self) -> Vec<u8> {
        if self.large && self.rng.chance(60) {
            return format!("m{}", self.rng.below(400)).into_bytes();
        }
        self.member()
    }

    fn bound(&mut self) -> (String, Bound) {
        let s = self.score();
        let v: f64 = match s.as_str() {
            "+inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            x => x.parse().unwrap(),
        };
        let excl = self.rng.chance(30);
        (if excl { format!("({s}") } else { s }, Bound { v, excl })
    }

    fn op_zset(&mut self) {
        let key = self.key(Kind::Zset);
        let k = key.as_bytes();
        let is = self.is(&key, Kind::Zset);
        let wrong = is == Some(false);
        let mut z = self.zset(&key);
        match self.rng.below(20) {
            17 => return self.zmpop(),
            18 => return self.zrandmember(&key, is, &z),
            19 => return self.zrangestore(&key, is, &z),
            0..=3 => self.zadd(&key, is, z),
            4 => {
                let inc = self.score();
                let m = self.zmember();
                let args = Self::s(&[b"ZINCRBY", k, inc.as_bytes(), &m]);
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let inc: f64 = inc.replace("+inf", "inf").parse().unwrap();
                let n = z.scores.get(&m).copied().unwrap_or(0.0) + inc;
                if n.is_nan() {
                    return self.expect(&args, NAN.into());
                }
                z.insert(&m, n);
                self.expect(&args, bulk(score_str(n).as_bytes()));
                self.put(&key, Val::Zset(z));
            }
            5 => {
                let ms: Vec<Vec<u8>> = (0..self.rng.range(1, 3)).map(|_| self.zmember()).collect();
                let mut args = Self::s(&[b"ZREM", k]);
                args.extend(ms.iter().map(|m| String::from_utf8(m.clone()).unwrap()));
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let n = ms.iter().filter(|m| z.remove(m)).count();
                self.expect(&args, int(n as i64));
                if is.is_some() {
                    self.put(&key, Val::Zset(z));
                    self.remove_if_empty(&key);
                }
            }
            6 => {
                let (a, b) = (self.zmember(), self.zmember());
                let sc = |z: &Zs, m: &Vec<u8>| {
                    z.scores
                        .get(m)
                        .map_or("(nil)".into(), |s| bulk(score_str(*s).as_bytes()))
                };
                let (args, want) = match self.rng.below(4) {
                    0 => (Self::s(&[b"ZSCORE", k, &a]), sc(&z, &a)),
                    1 => (
                        Self::s(&[b"ZMSCORE", k, &a, &b]),
                        arr(vec![sc(&z, &a), sc(&z, &b)]),
                    ),
                    2 => (Self::s(&[b"ZCARD", k]), int(z.len() as i64)),
                    _ => {
                        let rev = self.rng.chance(50);
                        let r = z.rank(&a).map_or("(nil)".into(), |r| {
                            int(if rev { z.len() - 1 - r } else { r } as i64)
                        });
                        let name: &[u8] = if rev { b"ZREVRANK" } else { b"ZRANK" };
                        (Self::s(&[name, k, &a]), r)
                    }
                };
                self.expect(&args, if wrong { WRONGTYPE.into() } else { want });
            }
            7 | 8 => {
                let (a, b) = (self.rng.range(-6, 6), self.rng.range(-6, 8));
                let rev = self.rng.chance(30);
                let ws = self.rng.chance(50);
                let mut args = Self::s(&[
                    if rev { b"ZREVRANGE" } else { b"ZRANGE" },
                    k,
                    a.to_string().as_bytes(),
                    b.to_string().as_bytes(),
                ]);
                if ws {
                    args.push("WITHSCORES".into());
                }
                let mut items = z.items();
                if rev {
                    items.reverse();
                }
                let want = match index_range(items.len(), a, b) {
                    Some((s, e)) => zitems(&items[s..=e], ws),
                    None => "[]".into(),
                };
                self.expect(&args, if wrong { WRONGTYPE.into() } else { want });
            }
            9 | 10 => {
                let (smin, min) = self.bound();
                let (smax, max) = self.bound();
                let rev = self.rng.chance(30);
                let ws = self.rng.chance(50);
                let limit = self
                    .rng
                    .chance(30)
                    .then(|| (self.rng.range(0, 3), self.rng.range(-1, 3)));
                let mut items: Vec<(Vec<u8>, f64)> = z
                    .items()
                    .into_iter()
                    .filter(|(_, s)| min.above_min(*s) && max.below_max(*s))
                    .collect();
                if rev {
                    items.reverse();
                }
                let mut args = if rev {
                    Self::s(&[b"ZREVRANGEBYSCORE", k, smax.as_bytes(), smin.as_bytes()])
                } else {
                    Self::s(&[b"ZRANGEBYSCORE", k, smin.as_bytes(), smax.as_bytes()])
                };
                if ws {
                    args.push("WITHSCORES".into());
                }
                if let Some((off, cnt)) = limit {
                    args.extend(["LIMIT".into(), off.to_string(), cnt.to_string()]);
                    let rest: Vec<_> = items.into_iter().skip(off as usize).collect();
                    items = if cnt < 0 {
                        rest
                    } else {
                        rest.into_iter().take(cnt as usize).collect()
                    };
                }
                let count_args = Self::s(&[b"ZCOUNT", k, smin.as_bytes(), smax.as_bytes()]);
                let n = z
                    .items()
                    .iter()
                    .filter(|(_, s)| min.above_min(*s) && max.below_max(*s))
                    .count();
                self.expect(
                    &args,
                    if wrong {
                        WRONGTYPE.into()
                    } else {
                        zitems(&items, ws)
                    },
                );
                self.expect(
                    &count_args,
                    if wrong {
                        WRONGTYPE.into()
                    } else {
                        int(n as i64)
                    },
                );
            }
            11 => {
                // Lexicographic ranges are only defined when all scores are equal.
                let first = z.items().first().map(|x| x.1);
                if wrong || z.items().iter().any(|x| Some(x.1) != first) {
                    return;
                }
                let lexb = |r: &mut Rng, m: Vec<u8>| -> (String, Option<(Vec<u8>, bool)>) {
                    match r.below(6) {
                        0 => ("-".into(), None),
                        1 => ("+".into(), None),
                        n => {
                            let s = String::from_utf8(m.clone()).unwrap();
                            if n % 2 == 0 {
                                (format!("[{s}"), Some((m, false)))
                            } else {
                                (format!("({s}"), Some((m, true)))
                            }
                        }
                    }
                };
                let (ma, mb) = (self.zmember(), self.zmember());
                let (sa, a) = lexb(&mut self.rng, ma);
                let (sb, b) = lexb(&mut self.rng, mb);
                // "-" and "+" are fixed ends: "+" as a minimum and "-" as a maximum match nothing.
                let ge_min = |m: &[u8]| match (&sa[..], &a) {
                    ("-", _) => true,
                    ("+", _) => false,
                    (_, Some((v, ex))) => {
                        if *ex {
                            m > &v[..]
                        } else {
                            m >= &v[..]
                        }
                    }
                    _ => unreachable!(),
                };
                let le_max = |m: &[u8]| match (&sb[..], &b) {
                    ("+", _) => true,
                    ("-", _) => false,
                    (_, Some((v, ex))) => {
                        if *ex {
                            m < &v[..]
                        } else {
                            m <= &v[..]
                        }
                    }
                    _ => unreachable!(),
                };
                let items: Vec<(Vec<u8>, f64)> = z
                    .items()
                    .into_iter()
                    .filter(|(m, _)| ge_min(m) && le_max(m))
                    .collect();
                let n = items.len();
                self.expect(
                    &Self::s(&[b"ZRANGEBYLEX", k, sa.as_bytes(), sb.as_bytes()]),
                    zitems(&items, false),
                );
                self.expect(
                    &Self::s(&[b"ZLEXCOUNT", k, sa.as_bytes(), sb.as_bytes()]),
                    int(n as i64),
                );
            }
            12 => {
                let max = self.rng.chance(50);
                let count = self.rng.chance(60).then(|| self.rng.range(0, 4));
                let mut args = Self::s(&[if max { b"ZPOPMAX" } else { b"ZPOPMIN" }, k]);
                if let Some(c) = count {
                    args.push(c.to_string());
                }
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                let mut items = z.items();
                if max {
                    items.reverse();
                }
                let n = (count.unwrap_or(1) as usize).min(items.len());
                for (m, _) in &items[..n] {
                    z.remove(m);
                }
                self.expect(&args, zitems(&items[..n], true));
                if is.is_some() {
                    self.put(&key, Val::Zset(z));
                    self.remove_if_empty(&key);
                }
            }
            13 => {
                let by_rank = self.rng.chance(50);
                let items = z.items();
                let (args, gone): (Vec<String>, Vec<Vec<u8>>) = if by_rank {
                    let (a, b) = (self.rng.range(-4, 4), self.rng.range(-4, 4));
                    let gone = match index_range(items.len(), a, b) {
                        Some((s, e)) => items[s..=e].iter().map(|x| x.0.clone()).collect(),
                        None => vec![],
                    };
                    let args = Self::s(&[
                        b"ZREMRANGEBYRANK",
                        k,
                        a.to_string().as_bytes(),
                        b.to_string().as_bytes(),
                    ]);
                    (args, gone)
                } else {
                    let (smin, min) = self.bound();
                    let (smax, max) = self.bound();
                    let gone = items
                        .iter()
                        .filter(|(_, s)| min.above_min(*s) && max.below_max(*s))
                        .map(|x| x.0.clone())
                        .collect();
                    (
                        Self::s(&[b"ZREMRANGEBYSCORE", k, smin.as_bytes(), smax.as_bytes()]),
                        gone,
                    )
                };
                if wrong {
                    return self.expect(&args, WRONGTYPE.into());
                }
                for m in &gone {
                    z.remove(m);
                }
                self.expect(&args, int(gone.len() as i64));
                if is.is_some() {
                    self.put(&key, Val::Zset(z));
                    self.remove_if_empty(&key);
                }
            }
            _ => self.zstore(),
        }
    }

    fn zadd(&mut self, key: &str, is: Option<bool>, mut z: Zs) {
        let (nx, xx) = match self.rng.below(6) {
            0 => (true, false),
            1 => (false, true),
            _ => (false, false),
        };
        let (gt, lt) = if nx {
            (false, false)
        } else {
            match self.rng.below(6) {
                0 => (true, false),
                1 => (false, true),
                _ => (false, false),
            }
        };
        let ch = self.rng.chance(30);
        let incr = self.rng.chance(15);
        let n = if incr { 1 } else { self.batch(40) };
        let mut args = vec!["ZADD".to_string(), key.to_string()];
        for (on, name) in [
            (nx, "NX"),
            (xx, "XX"),
            (gt, "GT"),
            (lt, "LT"),
            (ch, "CH"),
            (incr, "INCR"),
        ] {
            if on {
                args.push(name.into());
            }
        }
        let mut pairs = Vec::new();
        for _ in 0..n {
            let (s, m) = (self.score(), self.zmember());
            args.push(s.clone());
            args.push(String::from_utf8(m.clone()).unwrap());
            pairs.push((s.replace("+inf", "inf").parse::<f64>().unwrap(), m));
        }
        if is == Some(false) {
            return self.expect(&args, WRONGTYPE.into());
        }
        if is.is_none() && xx {
            return self.expect(&args, if incr { "(nil)".into() } else { int(0) });
        }
        let created = is.is_none();
        let (mut added, mut changed) = (0, 0);
        let mut incr_reply = "(nil)".to_string();
        for (s, m) in &pairs {
            match z.scores.get(m).copied() {
                Some(cur) => {
                    if nx {
                        continue;
                    }
                    let new = if incr { cur + s } else { *s };
                    if new.is_nan() {
                        return self.expect(&args, NAN.into());
                    }
                    if (gt && new <= cur) || (lt && new >= cur) {
                        continue;
                    }
                    incr_reply = bulk(score_str(new).as_bytes());
                    if new != cur {
                        z.insert(m, new);
                        changed += 1;
                    }
                }
                None => {
                    if xx {
                        continue;
                    }
                    z.insert(m, *s);
                    added += 1;
                    incr_reply = bulk(score_str(*s).as_bytes());
                }
            }
        }
        let want = if incr {
            incr_reply
        } else {
            int(if ch { added + changed } else { added })
        };
        self.expect(&args, want);
        if created {
            // zaddGenericCommand creates a skiplist at once when the first member is too
            // long for a listpack; conversions after that follow the usual rule.
            let first_long = pairs[0].1.len() > self.lim.zset_value;
            self.db.remove(key);
            self.put_new(key, Val::Zset(z));
            if first_long {
                self.db.get_mut(key).unwrap().big = true;
            }
        } else {
            self.put(key, Val::Zset(z));
        }
    }

    fn zstore(&mut self) {
        let pick = |t: &mut Tester| {
            let kind = if t.rng.chance(25) {
                Kind::Set
            } else {
                Kind::Zset
            };
            t.key(kind)
        };
        let (a, b) = (pick(self), pick(self));
        let dst = self.key(Kind::Zset);
        let inter = self.rng.chance(50);
        // Positive weights only: a negative one turns a 0 score into -0, and which of
        // two equal zeros MIN/MAX keep depends on the order Redis's qsort leaves the inputs in.
        let weights = self
            .rng
            .chance(40)
            .then(|| (self.rng.pick(&[1i64, 2, 3]), self.rng.pick(&[1i64, 2])));
        let aggr = self.rng.pick(&["SUM", "MIN", "MAX"]);
        let mut args = vec![
            if inter { "ZINTERSTORE" } else { "ZUNIONSTORE" }.to_string(),
            dst.clone(),
            "2".into(),
            a.clone(),
            b.clone(),
        ];
        if let Some((wa, wb)) = weights {
            args.extend(["WEIGHTS".into(), wa.to_string(), wb.to_string()]);
        }
        args.extend(["AGGREGATE".into(), aggr.to_string()]);
        let input = |t: &Tester, k: &str| -> Result<Vec<(Vec<u8>, f64)>, ()> {
            match t.get(k).map(|e| &e.val) {
                None => Ok(vec![]),
                Some(Val::Zset(z)) => Ok(z.items()),
                Some(Val::Set(s)) => Ok(s.iter().map(|m| (m.clone(), 1.0)).collect()),
                Some(_) => Err(()),
            }
        };
        let (Ok(ia), Ok(ib)) = (input(self, &a), input(self, &b)) else {
            return self.expect(&args, WRONGTYPE.into());
        };
        let (wa, wb) = weights.unwrap_or((1, 1));
        let nan0 = |x: f64| if x.is_nan() { 0.0 } else { x };
        let agg = |x: f64, y: f64| match aggr {
            "SUM" => nan0(x + y),
            "MIN" => x.min(y),
            _ => x.max(y),
        };
        let mb: HashMap<Vec<u8>, f64> = ib
            .iter()
            .map(|(m, s)| (m.clone(), nan0(s * wb as f64)))
            .collect();
        let mut out = Zs::default();
        for (m, s) in &ia {
            let s = nan0(s * wa as f64);
            match mb.get(m) {
                Some(&t) => out.insert(m, agg(s, t)),
                None if !inter => out.insert(m, s),
                None => {}
            }
        }
        if !inter {
            for (m, t) in &mb {
                if !out.scores.contains_key(m) {
                    out.insert(m, *t);
                }
            }
        }
        self.expect(&args, int(out.len() as i64));
        self.db.remove(&dst);
        if out.len() > 0 {
            self.put_new(&dst, Val::Zset(out));
        }
    }

    // ------------------------------------------------- multi-key pops, random

    /// The first of `keys` that exists, as LMPOP/ZMPOP pick it: Err(()) when a key of
    /// another type comes first (WRONGTYPE).
    fn first_existing(&self, keys: &[String], k: Kind) -> Result<Option<String>, ()> {
        for key in keys {
            match self.is(key, k) {
                None => continue,
                Some(false) => return Err(()),
                Some(true) => return Ok(Some(key.clone())),
            }
        }
        Ok(None)
    }

    fn lmpop(&mut self) {
        let keys: Vec<String> = (0..self.rng.range(1, 3))
            .map(|_| self.key(Kind::List))
            .collect();
        let left = self.rng.chance(50);
        let count = self.rng.chance(50).then(|| self.rng.range(1, 4));
        let mut args = vec!["LMPOP".to_string(), keys.len().to_string()];
        args.extend(keys.iter().cloned());
        args.push(if left { "LEFT" } else { "RIGHT" }.into());
        if let Some(c) = count {
            args.extend(["COUNT".into(), c.to_string()]);
        }
        let key = match self.first_existing(&keys, Kind::List) {
            Err(()) => return self.expect(&args, WRONGTYPE.into()),
            Ok(None) => return self.expect(&args, "(nil)".into()),
            Ok(Some(k)) => k,
        };
        let mut l = self.list(&key);
        let n = (count.unwrap_or(1) as usize).min(l.len());
        let popped: Vec<String> = (0..n)
            .map(|_| bulk(&if left { l.pop_front() } else { l.pop_back() }.unwrap()))
            .collect();
        self.expect(&args, arr(vec![bulk(key.as_bytes()), arr(popped)]));
        self.set_list(&key, l);
    }

    fn zmpop(&mut self) {
        let keys: Vec<String> = (0..self.rng.range(1, 3))
            .map(|_| self.key(Kind::Zset))
            .collect();
        let max = self.rng.chance(50);
        let count = self.rng.chance(50).then(|| self.rng.range(1, 4));
        let mut args = vec!["ZMPOP".to_string(), keys.len().to_string()];
        args.extend(keys.iter().cloned());
        args.push(if max { "MAX" } else { "MIN" }.into());
        if let Some(c) = count {
            args.extend(["COUNT".into(), c.to_string()]);
        }
        let key = match self.first_existing(&keys, Kind::Zset) {
            Err(()) => return self.expect(&args, WRONGTYPE.into()),
            Ok(None) => return self.expect(&args, "(nil)".into()),
            Ok(Some(k)) => k,
        };
        let mut z = self.zset(&key);
        let mut items = z.items();
        if max {
            items.reverse();
        }
        let n = (count.unwrap_or(1) as usize).min(items.len());
        let pairs: Vec<String> = items[..n]
            .iter()
            .map(|(m, s)| arr(vec![bulk(m), bulk(score_str(*s).as_bytes())]))
            .collect();
        for (m, _) in &items[..n] {
            z.remove(m);
        }
        self.expect(&args, arr(vec![bulk(key.as_bytes()), arr(pairs)]));
        self.put(&key, Val::Zset(z));
        self.remove_if_empty(&key);
    }

    /// Checks a random pick of `count` (HRANDFIELD/ZRANDMEMBER rules) of `pairs`:
    /// positive counts give distinct elements, negative ones |count| elements, maybe
    /// repeated; with `with`, each element is followed by its value/score.
    fn check_random_pick(
        &mut self,
        args: &[String],
        count: i64,
        with: bool,
        pairs: &HashMap<String, String>,
    ) {
        let got = match self.query(args) {
            Ok(Value::Array(items)) => items.iter().map(show).collect::<Vec<_>>(),
            other => self.fail(format!("{}: unexpected {other:?}", args.join(" "))),
        };
        let step = if with { 2 } else { 1 };
        let picked: Vec<&[String]> = got.chunks(step).collect();
        let want_len = if count >= 0 {
            (count as usize).min(pairs.len())
        } else if pairs.is_empty() {
            0
        } else {
            count.unsigned_abs() as usize
        };
        let distinct: HashSet<&String> = picked.iter().map(|p| &p[0]).collect();
        let ok = picked.len() == want_len
            && (count < 0 || distinct.len() == picked.len())
            && picked
                .iter()
                .all(|p| pairs.get(&p[0]).is_some_and(|v| !with || *v == p[1]));
        if !ok {
            self.fail(format!("{}: got {got:?} from {pairs:?}", args.join(" ")));
        }
    }

    fn hrandfield(&mut self, key: &str, is: Option<bool>, h: &HashMap<Vec<u8>, Vec<u8>>) {
        let count = self.rng.range(-5, 5);
        let with = self.rng.chance(50);
        let mut args = vec!["HRANDFIELD".to_string(), key.to_string(), count.to_string()];
        if with {
            args.push("WITHVALUES".into());
        }
        if is == Some(false) {
            return self.expect(&args, WRONGTYPE.into());
        }
        let pairs = h.iter().map(|(f, v)| (bulk(f), bulk(v))).collect();
        self.check_random_pick(&args, count, with, &pairs);
    }

    fn zrandmember(&mut self, key: &str, is: Option<bool>, z: &Zs) {
        let count = self.rng.range(-5, 5);
        let with = self.rng.chance(50);
        let mut args = vec![
            "ZRANDMEMBER".to_string(),
            key.to_string(),
            count.to_string(),
        ];
        if with {
            args.push("WITHSCORES".into());
        }
        if is == Some(false) {
            return self.expect(&args, WRONGTYPE.into());
        }
        let pairs = z
            .items()
            .iter()
            .map(|(m, s)| (bulk(m), bulk(score_str(*s).as_bytes())))
            .collect();
        self.check_random_pick(&args, count, with, &pairs);
    }

    fn zrangestore(&mut self, key: &str, is: Option<bool>, z: &Zs) {
        let dst = self.key(Kind::Zset);
        let (a, b) = (self.rng.range(-5, 5), self.rng.range(-5, 6));
        let args = vec![
            "ZRANGESTORE".to_string(),
            dst.clone(),
            key.to_string(),
            a.to_string(),
            b.to_string(),
        ];
        if is == Some(false) {
            return self.expect(&args, WRONGTYPE.into());
        }
        let items = z.items();
        let mut out = Zs::default();
        if let Some((s, e)) = index_range(items.len(), a, b) {
            for (m, sc) in &items[s..=e] {
                out.insert(m, *sc);
            }
        }
        self.expect(&args, int(out.len() as i64));
        self.db.remove(&dst);
        if out.len() > 0 {
            self.put_new(&dst, Val::Zset(out));
        }
    }

    // ---------------------------------------------------------------- generic

    fn op_generic(&mut self) {
        let kind = self.rng.pick(&KINDS);
        let key = self.key(kind);
        match self.rng.below(5) {
            3 => {
                let kind = self.rng.pick(&KINDS);
                let dst = self.key(kind);
                let args = Self::s(&[b"RENAME", key.as_bytes(), dst.as_bytes()]);
                match self.db.remove(&key) {
                    None => self.expect(&args, "-ERR no such key".into()),
                    Some(e) => {
                        // The value moves as it is, encoding included.
                        self.expect(&args, "+OK".into());
                        self.db.insert(dst, e);
                    }
                }
            }
            4 => {
                let kind = self.rng.pick(&KINDS);
                let dst = self.key(kind);
                let replace = self.rng.chance(50);
                let mut args = Self::s(&[b"COPY", key.as_bytes(), dst.as_bytes()]);
                if replace {
                    args.push("REPLACE".into());
                }
                let want = if dst == key {
                    "-ERR source and destination objects are the same".into()
                } else {
                    match self.get(&key).cloned() {
                        None => int(0),
                        Some(_) if self.db.contains_key(&dst) && !replace => int(0),
                        Some(e) => {
                            // A copy keeps the source's encoding.
                            self.db.insert(dst, e);
                            int(1)
                        }
                    }
                };
                self.expect(&args, want);
            }
            0 => {
                let existed = self.db.remove(&key).is_some();
                self.expect(&Self::s(&[b"DEL", key.as_bytes()]), int(existed as i64));
            }
            1 => {
                let n = self.db.contains_key(&key) as i64;
                self.expect(&Self::s(&[b"EXISTS", key.as_bytes()]), int(n));
            }
            _ => {
                let t = self.get(&key).map_or("none", |e| e.val.type_name());
                self.expect(&Self::s(&[b"TYPE", key.as_bytes()]), format!("+{t}"));
            }
        }
    }

    /// Compares every key of the key space: type, whole content and encoding.
    fn full_check(&mut self) {
        for kind in KINDS {
            for key in pool(kind) {
                let k = key.as_bytes();
                let entry = self.get(key).cloned();
                let t = entry.as_ref().map_or("none", |e| e.val.type_name());
                self.expect(&Self::s(&[b"TYPE", k]), format!("+{t}"));
                let Some(e) = entry else { continue };
                match &e.val {
                    Val::Str(v) => self.expect(&Self::s(&[b"GET", k]), bulk(v)),
                    Val::List(l) => {
                        let want = arr(l.iter().map(|v| bulk(v)).collect());
                        self.expect(&Self::s(&[b"LRANGE", k, b"0", b"-1"]), want);
                    }
                    Val::Hash(h) => {
                        let want = h
                            .iter()
                            .map(|(f, v)| format!("{} => {}", bulk(f), bulk(v)))
                            .collect();
                        self.expect_unordered(&Self::s(&[b"HGETALL", k]), Some(want), true);
                    }
                    Val::Set(s) => {
                        let want = s.iter().map(|m| bulk(m)).collect();
                        self.expect_unordered(&Self::s(&[b"SMEMBERS", k]), Some(want), false);
                    }
                    Val::Zset(z) => {
                        let want = zitems(&z.items(), true);
                        self.expect(&Self::s(&[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]), want);
                    }
                }
                let enc = match (&e.val, e.big) {
                    (Val::Str(_), _) => None,
                    (Val::List(_), _) => Some("quicklist"),
                    (Val::Hash(_), false) => Some("listpack"),
                    (Val::Set(_), false) => Some("intset"),
                    (Val::Zset(_), false) => Some("listpack"),
                    (Val::Hash(_) | Val::Set(_), true) => Some("hashtable"),
                    (Val::Zset(_), true) => Some("skiplist"),
                };
                if let (Some(enc), true) = (enc, e.enc_known) {
                    self.expect(&Self::s(&[b"OBJECT", b"ENCODING", k]), enc.to_string());
                }
            }
        }
    }

    fn configure(&mut self, lim: Limits) {
        self.lim = lim;
        for (name, v) in [
            ("hash-max-listpack-entries", lim.hash_entries),
            ("hash-max-listpack-value", lim.hash_value),
            ("set-max-intset-entries", lim.intset_entries),
            ("zset-max-listpack-entries", lim.zset_entries),
            ("zset-max-listpack-value", lim.zset_value),
        ] {
            let args = vec!["CONFIG".into(), "SET".into(), name.into(), v.to_string()];
            self.expect(&args, "+OK".into());
        }
    }
}

#[test]
fn randomized_model_of_every_type() {
    let seed = std::env::var("REDIS_RS_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let ops: usize = std::env::var("REDIS_RS_MODEL_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10000);
    println!("model test seed {seed} (replay: REDIS_RS_MODEL_SEED={seed})");
    eprintln!("model test seed {seed} (replay: REDIS_RS_MODEL_SEED={seed})");
    let srv = Server::start();
    let mut t = Tester {
        con: srv.client(),
        rng: Rng(seed),
        seed,
        round: 0,
        step: 0,
        db: HashMap::new(),
        lim: DEFAULTS,
        large: false,
        log: VecDeque::new(),
        trace: std::env::var_os("REDIS_RS_MODEL_TRACE").is_some(),
    };
    // (limits, large values and bulk writes)
    let rounds = [
        (DEFAULTS, false),
        (TINY, false),
        (DEFAULTS, true),
        (TINY, true),
        (DEFAULTS, false),
        (TINY, false),
    ];
    for (round, (lim, large)) in rounds.into_iter().enumerate() {
        t.round = round;
        t.expect(&["FLUSHALL".to_string()], "+OK".into());
        t.db.clear();
        t.configure(lim);
        t.large = large;
        for step in 0..ops {
            t.step = step;
            match t.rng.below(20) {
                0..=2 => t.op_string(),
                3..=6 => t.op_list(),
                7..=9 => t.op_hash(),
                10..=12 => t.op_set(),
                13..=18 => t.op_zset(),
                _ => t.op_generic(),
            }
            if step % 250 == 249 {
                t.full_check();
            }
        }
        t.full_check();
    }
}
