//! Sorted sets (Redis's t_zset.c): the value type with its two encodings
//! (a listpack of member/score pairs while small, a dict plus skiplist after)
//! and the Z* commands over it, including the blocking pops.

use crate::blocked::{parse_timeout_secs, BlockType};
use crate::db::dict::Dict;
use crate::db::keyspace_cmds::get_positive_long_or_reply;
use crate::db::object::{Obj, Value};
use crate::db::Typed;
use crate::ds::listpack::{Listpack, LpValue, Where};
use crate::ds::skiplist::{Skiplist, NIL};
use crate::networking::{Client, ClientFlags};
use crate::notify::class;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_set::SetVal;
use crate::util::{eq_ic, fmt_f64_g17, parse_c_double, parse_double, parse_i64};

pub struct SkipZ {
    pub dict: Dict<f64>,
    pub sl: Skiplist,
}

impl Clone for SkipZ {
    fn clone(&self) -> Self {
        let mut dict = Dict::new();
        dict.expand(self.dict.len());
        for (k, v) in self.dict.iter() {
            dict.insert(k, *v);
        }
        SkipZ {
            dict,
            sl: self.sl.clone(),
        }
    }
}

#[derive(Clone)]
pub enum ZSet {
    Lp(Listpack),
    Sl(Box<SkipZ>),
}

fn lp_score(v: LpValue) -> f64 {
    match v {
        LpValue::Int(i) => i as f64,
        LpValue::Str(s) => std::str::from_utf8(s)
            .ok()
            .and_then(parse_c_double)
            .unwrap_or(0.0),
    }
}

/// The score range of ZRANGEBYSCORE and friends (zrangespec).
#[derive(Clone, Copy)]
pub struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

/// The lex range of ZRANGEBYLEX (zlexrangespec); None bounds are -/+.
#[derive(Clone)]
pub struct LexRange {
    min: Bound,
    max: Bound,
}

#[derive(Clone)]
enum Bound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

/// A monotone range over (score, member) order.
pub trait ZRange {
    fn gte_min(&self, s: f64, e: &[u8]) -> bool;
    fn lte_max(&self, s: f64, e: &[u8]) -> bool;
    fn empty(&self) -> bool;
}

impl ScoreRange {
    pub fn new(min: f64, max: f64, minex: bool, maxex: bool) -> ScoreRange {
        ScoreRange {
            min,
            max,
            minex,
            maxex,
        }
    }
}

impl ZRange for ScoreRange {
    fn gte_min(&self, s: f64, _: &[u8]) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }
    fn lte_max(&self, s: f64, _: &[u8]) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
    fn empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

impl ZRange for LexRange {
    fn gte_min(&self, _: f64, e: &[u8]) -> bool {
        match &self.min {
            Bound::NegInf => true,
            Bound::PosInf => false,
            Bound::Incl(m) => e >= &m[..],
            Bound::Excl(m) => e > &m[..],
        }
    }
    fn lte_max(&self, _: f64, e: &[u8]) -> bool {
        match &self.max {
            Bound::NegInf => false,
            Bound::PosInf => true,
            Bound::Incl(m) => e <= &m[..],
            Bound::Excl(m) => e < &m[..],
        }
    }
    fn empty(&self) -> bool {
        match (&self.min, &self.max) {
            (Bound::PosInf, _) | (_, Bound::NegInf) => true,
            (Bound::NegInf, _) | (_, Bound::PosInf) => false,
            (a, b) => {
                let (av, aex) = match a {
                    Bound::Incl(v) => (v, false),
                    Bound::Excl(v) => (v, true),
                    _ => unreachable!(),
                };
                let (bv, bex) = match b {
                    Bound::Incl(v) => (v, false),
                    Bound::Excl(v) => (v, true),
                    _ => unreachable!(),
                };
                av > bv || (av == bv && (aex || bex))
            }
        }
    }
}

fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    let (ex, body) = if s.first() == Some(&b'(') {
        (true, &s[1..])
    } else {
        (false, s)
    };
    let st = std::str::from_utf8(body).ok()?;
    if st.is_empty() {
        // strtod converts nothing and stops at the terminator, which zslParseRange
        // accepts: an empty bound is 0.
        return Some((0.0, ex));
    }
    if st.starts_with(|c: char| c.is_ascii_whitespace()) {
        // strtod skips leading spaces, but spaces alone are not a number.
        let t = st.trim_start();
        if t.is_empty() {
            return None;
        }
        let v = parse_c_double(t)?;
        return if v.is_nan() { None } else { Some((v, ex)) };
    }
    let v = parse_c_double(st)?;
    if v.is_nan() {
        return None;
    }
    Some((v, ex))
}

pub fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let (min, minex) = parse_score_bound(min)?;
    let (max, maxex) = parse_score_bound(max)?;
    Some(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

fn parse_lex_bound(s: &[u8]) -> Option<Bound> {
    match s.first() {
        Some(b'+') if s.len() == 1 => Some(Bound::PosInf),
        Some(b'-') if s.len() == 1 => Some(Bound::NegInf),
        Some(b'(') => Some(Bound::Excl(s[1..].to_vec())),
        Some(b'[') => Some(Bound::Incl(s[1..].to_vec())),
        _ => None,
    }
}

pub fn parse_lex_range(min: &[u8], max: &[u8]) -> Option<LexRange> {
    Some(LexRange {
        min: parse_lex_bound(min)?,
        max: parse_lex_bound(max)?,
    })
}

/// zset-max-listpack-entries / -value at the time of a command.
#[derive(Clone, Copy)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    pub fn of(srv: &Server) -> Limits {
        Limits {
            entries: srv.config.zset_max_listpack_entries,
            value: srv.config.zset_max_listpack_value,
        }
    }
}

impl ZSet {
    /// zsetTypeCreate: a listpack when the expected size fits the limits.
    pub fn create(srv: &Server, size_hint: usize, value_len_hint: usize) -> ZSet {
        if size_hint <= srv.config.zset_max_listpack_entries
            && value_len_hint <= srv.config.zset_max_listpack_value
            && srv.config.zset_max_listpack_entries > 0
        {
            ZSet::Lp(Listpack::new())
        } else {
            ZSet::Sl(Box::new(SkipZ {
                dict: Dict::new(),
                sl: Skiplist::new(),
            }))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Lp(lp) => lp.len() / 2,
            ZSet::Sl(z) => z.sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Lp(_) => "listpack",
            ZSet::Sl(_) => "skiplist",
        }
    }

    pub fn score(&self, ele: &[u8]) -> Option<f64> {
        match self {
            ZSet::Lp(lp) => lp_find(lp, ele).map(|(_, s)| s),
            ZSet::Sl(z) => z.dict.get(ele).copied(),
        }
    }

    /// Every (member, score) in order.
    pub fn items(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            ZSet::Lp(lp) => {
                let mut out = Vec::with_capacity(lp.len() / 2);
                let mut it = lp.iter();
                while let (Some(e), Some(s)) = (it.next(), it.next()) {
                    out.push((e.to_vec(), lp_score(s)));
                }
                out
            }
            ZSet::Sl(z) => z.sl.iter().map(|(e, s)| (e.to_vec(), s)).collect(),
        }
    }

    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Lp(_) = self {
            let items = self.items();
            let mut z = SkipZ {
                dict: Dict::new(),
                sl: Skiplist::new(),
            };
            z.dict.expand(items.len());
            for (e, s) in items {
                z.dict.insert(&e, s);
                z.sl.insert(s, e);
            }
            *self = ZSet::Sl(Box::new(z));
        }
    }

    /// zsetConvertToListpackIfNeeded for a freshly built result.
    pub fn shrink_if_fits(&mut self, srv: &Server) {
        if let ZSet::Sl(z) = self {
            let maxlen = z.dict.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            if z.sl.len() <= srv.config.zset_max_listpack_entries
                && maxlen <= srv.config.zset_max_listpack_value
            {
                let mut lp = Listpack::new();
                for (e, s) in z.sl.iter() {
                    lp.append(e);
                    lp_put_score(&mut lp, None, s);
                }
                *self = ZSet::Lp(lp);
            }
        }
    }

    /// Adds a member known to be absent, converting when limits are crossed.
    pub fn insert_new(&mut self, lim: Limits, ele: &[u8], score: f64) {
        if let ZSet::Lp(lp) = self {
            if lp.len() / 2 + 1 > lim.entries || ele.len() > lim.value || !lp.safe_to_add(ele.len())
            {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Lp(lp) => lp_insert(lp, ele, score),
            ZSet::Sl(z) => {
                z.dict.insert(ele, score);
                z.sl.insert(score, ele.to_vec());
            }
        }
    }

    pub fn update_score(&mut self, ele: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Lp(lp) => {
                let (p, _) = lp_find(lp, ele).expect("present");
                lp.delete_range_at(p, 2);
                lp_insert(lp, ele, new);
            }
            ZSet::Sl(z) => {
                z.sl.update_score(old, ele, new);
                *z.dict.get_mut(ele).expect("present") = new;
            }
        }
    }

    pub fn remove(&mut self, ele: &[u8]) -> bool {
        match self {
            ZSet::Lp(lp) => match lp_find(lp, ele) {
                Some((p, _)) => {
                    lp.delete_range_at(p, 2);
                    true
                }
                None => false,
            },
            ZSet::Sl(z) => match z.dict.remove(ele) {
                Some(s) => {
                    z.sl.delete(s, ele);
                    true
                }
                None => false,
            },
        }
    }

    /// 0-based rank in ascending order, with the score.
    pub fn rank(&self, ele: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Lp(lp) => {
                let mut it = lp.iter();
                let mut i = 0;
                while let (Some(e), Some(s)) = (it.next(), it.next()) {
                    if e.eq_bytes(ele) {
                        return Some((i, lp_score(s)));
                    }
                    i += 1;
                }
                None
            }
            ZSet::Sl(z) => {
                let s = *z.dict.get(ele)?;
                Some((z.sl.rank(s, ele) - 1, s))
            }
        }
    }

    /// Items with ascending 0-based ranks start..=end (both valid), in
    /// ascending order, or descending when `rev`.
    pub fn by_rank(&self, start: usize, end: usize, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let n = end + 1 - start;
        let mut out = Vec::with_capacity(n);
        match self {
            ZSet::Lp(lp) => {
                let Some(mut p) = lp.seek(2 * start as i64) else {
                    return out;
                };
                for i in 0..n {
                    let sp = lp.next(p).expect("score");
                    out.push((lp.get(p).to_vec(), lp_score(lp.get(sp))));
                    if i + 1 < n {
                        p = lp.next(sp).expect("next");
                    }
                }
                if rev {
                    out.reverse();
                }
            }
            ZSet::Sl(z) => {
                if rev {
                    let mut x = z.sl.by_rank(end + 1);
                    for _ in 0..n {
                        out.push((z.sl.ele(x).to_vec(), z.sl.score(x)));
                        x = z.sl.prev(x);
                    }
                } else {
                    let mut x = z.sl.by_rank(start + 1);
                    for _ in 0..n {
                        out.push((z.sl.ele(x).to_vec(), z.sl.score(x)));
                        x = z.sl.next(x);
                    }
                }
            }
        }
        out
    }

    /// Items inside a range, skipping `offset` then at most `limit` (negative: all).
    pub fn in_range(
        &self,
        r: &dyn ZRange,
        rev: bool,
        offset: i64,
        limit: i64,
    ) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::new();
        if r.empty() || offset < 0 {
            return out;
        }
        let mut skip = offset;
        let mut left = limit;
        let mut take = |e: &[u8], s: f64, out: &mut Vec<(Vec<u8>, f64)>| -> bool {
            if left == 0 {
                return false;
            }
            if skip > 0 {
                skip -= 1;
                return true;
            }
            out.push((e.to_vec(), s));
            if left > 0 {
                left -= 1;
            }
            true
        };
        match self {
            ZSet::Lp(_) => {
                let items = self.items();
                if rev {
                    for (e, s) in items.iter().rev() {
                        if !r.lte_max(*s, e) {
                            continue;
                        }
                        if !r.gte_min(*s, e) || !take(e, *s, &mut out) {
                            break;
                        }
                    }
                } else {
                    for (e, s) in items.iter() {
                        if !r.gte_min(*s, e) {
                            continue;
                        }
                        if !r.lte_max(*s, e) || !take(e, *s, &mut out) {
                            break;
                        }
                    }
                }
            }
            ZSet::Sl(z) => {
                let sl = &z.sl;
                if rev {
                    let mut x = sl.last_where(|s, e| r.lte_max(s, e));
                    while x != NIL && r.gte_min(sl.score(x), sl.ele(x)) {
                        if !take(sl.ele(x), sl.score(x), &mut out) {
                            break;
                        }
                        x = sl.prev(x);
                    }
                } else {
                    let mut x = sl.first_where(|s, e| r.gte_min(s, e));
                    while x != NIL && r.lte_max(sl.score(x), sl.ele(x)) {
                        if !take(sl.ele(x), sl.score(x), &mut out) {
                            break;
                        }
                        x = sl.next(x);
                    }
                }
            }
        }
        out
    }

    /// Number of items in a range.
    pub fn count_in_range(&self, r: &dyn ZRange) -> usize {
        if r.empty() {
            return 0;
        }
        match self {
            ZSet::Lp(_) => self
                .items()
                .iter()
                .filter(|(e, s)| r.gte_min(*s, e) && r.lte_max(*s, e))
                .count(),
            ZSet::Sl(z) => {
                let sl = &z.sl;
                let f = sl.first_where(|s, e| r.gte_min(s, e));
                if f == NIL || !r.lte_max(sl.score(f), sl.ele(f)) {
                    return 0;
                }
                let l = sl.last_where(|s, e| r.lte_max(s, e));
                let rf = sl.rank(sl.score(f), sl.ele(f));
                let rl = sl.rank(sl.score(l), sl.ele(l));
                rl + 1 - rf
            }
        }
    }

    /// Pops the lowest (or highest) member.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let (e, s) = match self {
            ZSet::Lp(lp) => {
                let p = lp.seek(if max { -2 } else { 0 })?;
                let sp = lp.next(p)?;
                (lp.get(p).to_vec(), lp_score(lp.get(sp)))
            }
            ZSet::Sl(z) => {
                let x = if max { z.sl.last() } else { z.sl.first() };
                if x == NIL {
                    return None;
                }
                (z.sl.ele(x).to_vec(), z.sl.score(x))
            }
        };
        self.remove(&e);
        Some((e, s))
    }

    /// DEBUG HTSTATS-KEY text: only the skiplist encoding has a hash table.
    pub fn hash_table_stats(&self) -> Option<String> {
        match self {
            ZSet::Lp(_) => None,
            ZSet::Sl(z) => Some(z.dict.stats_text()),
        }
    }

    /// objectComputeSize's estimate (without the robj): the listpack's
    /// allocation, or the fixed parts plus the average of `samples` members
    /// (sds, dict entry, skiplist node) times the member count.
    pub fn memory_estimate(&self, samples: usize) -> usize {
        use crate::server::server_cmds::{alloc_size, sds_alloc_size};
        match self {
            ZSet::Lp(lp) => alloc_size(lp.total_bytes()),
            ZSet::Sl(z) => {
                // zset 16 + zskiplist 32 + dict 56, the bucket array, the 32-level header node.
                let mut asize = 16 + 32 + 56 + 8 * z.dict.buckets() + alloc_size(24 + 32 * 16);
                let (mut elesize, mut n) = (0usize, 0usize);
                let mut x = z.sl.first();
                while x != NIL && n < samples {
                    elesize += sds_alloc_size(z.sl.ele(x).len())
                        + 24
                        + alloc_size(24 + 16 * z.sl.node_levels(x));
                    n += 1;
                    x = z.sl.next(x);
                }
                if n > 0 {
                    asize += (elesize as f64 / n as f64 * z.dict.len() as f64) as usize;
                }
                asize
            }
        }
    }
}

/// Finds a member in a listpack zset: (member offset, score).
fn lp_find(lp: &Listpack, ele: &[u8]) -> Option<(usize, f64)> {
    let mut p = lp.first();
    while let Some(e) = p {
        let sp = lp.next(e)?;
        if lp.compare(e, ele) {
            return Some((e, lp_score(lp.get(sp))));
        }
        p = lp.next(sp);
    }
    None
}

/// Redis's double2ll: integral scores within ±2^52 are stored as listpack integers.
fn score_as_int(score: f64) -> Option<i64> {
    if !(-4503599627370495.0..=4503599627370496.0).contains(&score) {
        return None;
    }
    let v = score as i64;
    if v as f64 == score {
        Some(v)
    } else {
        None
    }
}

/// Writes a score after the member at `p` (or appends when `p` is None).
fn lp_put_score(lp: &mut Listpack, p: Option<usize>, score: f64) {
    match (score_as_int(score), p) {
        (Some(v), Some(p)) => {
            lp.insert_int(p, Where::After, v);
        }
        (Some(v), None) => {
            lp.append_int(v);
        }
        (None, Some(p)) => {
            lp.insert(p, Where::After, fmt_f64_g17(score).as_bytes());
        }
        (None, None) => {
            lp.append(fmt_f64_g17(score).as_bytes());
        }
    }
}

/// zzlInsert: before the first pair ordered after (score, ele).
fn lp_insert(lp: &mut Listpack, ele: &[u8], score: f64) {
    let mut p = lp.first();
    while let Some(e) = p {
        let sp = lp.next(e).expect("score");
        let s = lp_score(lp.get(sp));
        let after = s > score
            || (s == score && {
                let mut tmp = Vec::new();
                lp.get(e).write_to(&mut tmp);
                &tmp[..] > ele
            });
        if after {
            let np = lp.insert(e, Where::Before, ele);
            lp_put_score(lp, Some(np), score);
            return;
        }
        p = lp.next(sp);
    }
    lp.append(ele);
    lp_put_score(lp, None, score);
}

// ---------------------------------------------------------------- commands

/// Deletes the key when its sorted set became empty, with the "del" event.
fn delete_if_empty(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.typed_ref::<ZSet>(db, key).is_empty() {
        srv.dbs[db].remove(key);
        srv.notify_keyspace_event(class::GENERIC, "del", key, db);
    }
}

fn store_new(srv: &mut Server, db: usize, key: &[u8], z: ZSet) {
    let lru = srv.new_obj_lru();
    srv.set_key(db, key, Obj::new(Value::ZSet(z), lru), false);
}

const ZADD_NX: u8 = 1;
const ZADD_XX: u8 = 2;
const ZADD_GT: u8 = 4;
const ZADD_LT: u8 = 8;

enum AddOutcome {
    Added,
    Updated,
    /// Present with the same score: counts as processed.
    Same,
    Nop,
    Nan,
}

/// zsetAdd for one member; `incr` adds to the current score.
fn zset_add(
    lim: Limits,
    z: &mut ZSet,
    ele: &[u8],
    score: f64,
    flags: u8,
    incr: bool,
    newscore: &mut f64,
) -> AddOutcome {
    let mut score = score;
    match z.score(ele) {
        Some(cur) => {
            if flags & ZADD_NX != 0 {
                *newscore = cur;
                return AddOutcome::Nop;
            }
            if incr {
                score += cur;
                if score.is_nan() {
                    return AddOutcome::Nan;
                }
            }
            *newscore = score;
            if (flags & ZADD_LT != 0 && score >= cur) || (flags & ZADD_GT != 0 && score <= cur) {
                *newscore = cur;
                return AddOutcome::Nop;
            }
            if score != cur {
                z.update_score(ele, cur, score);
                AddOutcome::Updated
            } else {
                AddOutcome::Same
            }
        }
        None => {
            if flags & ZADD_XX != 0 {
                return AddOutcome::Nop;
            }
            z.insert_new(lim, ele, score);
            *newscore = score;
            AddOutcome::Added
        }
    }
}

fn zadd_generic(srv: &mut Server, c: &mut Client, argv: &Argv, incr_cmd: bool) {
    let mut flags = 0u8;
    let mut ch = false;
    let mut incr = incr_cmd;
    let mut i = 2;
    while i < argv.len() {
        let a = argv.get(i);
        if eq_ic(a, "nx") {
            flags |= ZADD_NX;
        } else if eq_ic(a, "xx") {
            flags |= ZADD_XX;
        } else if eq_ic(a, "gt") {
            flags |= ZADD_GT;
        } else if eq_ic(a, "lt") {
            flags |= ZADD_LT;
        } else if eq_ic(a, "ch") {
            ch = true;
        } else if eq_ic(a, "incr") {
            incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = argv.len() - i;
    if elements % 2 != 0 || elements == 0 {
        return c.add_error_syntax();
    }
    let elements = elements / 2;
    if flags & ZADD_NX != 0 && flags & ZADD_XX != 0 {
        return c.add_error("XX and NX options at the same time are not compatible");
    }
    if (flags & ZADD_GT != 0 && flags & ZADD_NX != 0)
        || (flags & ZADD_LT != 0 && flags & ZADD_NX != 0)
        || (flags & ZADD_GT != 0 && flags & ZADD_LT != 0)
    {
        return c.add_error("GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && elements > 1 {
        return c.add_error("INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        match parse_double(argv.get(i + j * 2)) {
            Some(s) => scores.push(s),
            None => return c.add_error_not_float(),
        }
    }
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<ZSet>(db, key, true) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => {
            if flags & ZADD_XX != 0 {
                return if incr { c.add_null() } else { c.add_int(0) };
            }
            // Redis sizes a new key by its first member only.
            let z = ZSet::create(srv, 0, argv.get(i + 1).len());
            let lru = srv.new_obj_lru();
            srv.db_add(db, key, Obj::new(Value::ZSet(z), lru));
        }
        Typed::Found(()) => {}
    }
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut newscore = 0.0;
    let mut score = 0.0;
    let mut nan = false;
    let lim = Limits::of(srv);
    let z = srv.typed_mut::<ZSet>(db, key);
    for j in 0..elements {
        let ele = argv.get(i + j * 2 + 1);
        match zset_add(lim, z, ele, scores[j], flags, incr, &mut newscore) {
            AddOutcome::Added => {
                added += 1;
                processed += 1;
            }
            AddOutcome::Updated => {
                updated += 1;
                processed += 1;
            }
            AddOutcome::Same => processed += 1,
            AddOutcome::Nop => {}
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
        score = newscore;
    }
    let empty = z.is_empty();
    if nan {
        c.add_error("resulting score is not a number (NaN)");
    } else if incr {
        if processed > 0 {
            c.add_double(score);
        } else {
            c.add_null();
        }
    } else {
        c.add_int(if ch { added + updated } else { added });
    }
    if empty {
        srv.dbs[db].remove(key);
    }
    if added + updated > 0 {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(class::ZSET, if incr { "zincr" } else { "zadd" }, key, db);
        srv.signal_key_as_ready(db, key);
        srv.dirty += (added + updated) as u64;
    }
}

pub fn zadd_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zadd_generic(srv, c, argv, false)
}

pub fn zincrby_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zadd_generic(srv, c, argv, true)
}

pub fn zrem_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    srv.remove_members(c, argv, class::ZSET, "zrem", ZSet::remove, ZSet::is_empty);
}

pub fn zcard_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.check_type::<ZSet>(db, argv.get(1), false) {
        Typed::Missing => c.add_int(0),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let n = srv.typed_ref::<ZSet>(db, argv.get(1)).len();
            c.add_int(n as i64)
        }
    }
}

pub fn zscore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.check_type::<ZSet>(db, argv.get(1), false) {
        Typed::Missing => c.add_null(),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => match srv.typed_ref::<ZSet>(db, argv.get(1)).score(argv.get(2)) {
            Some(s) => c.add_double(s),
            None => c.add_null(),
        },
    }
}

pub fn zmscore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let k = srv.check_type::<ZSet>(db, argv.get(1), false);
    if let Typed::WrongType = k {
        return c.add_error_wrongtype();
    }
    c.add_array_len(argv.len() - 2);
    for i in 2..argv.len() {
        let s = match k {
            Typed::Found(()) => srv.typed_ref::<ZSet>(db, argv.get(1)).score(argv.get(i)),
            _ => None,
        };
        match s {
            Some(s) => c.add_double(s),
            None => c.add_null(),
        }
    }
}

fn zrank_generic(srv: &mut Server, c: &mut Client, argv: &Argv, rev: bool) {
    let db = c.db;
    match srv.check_type::<ZSet>(db, argv.get(1), false) {
        Typed::Missing => c.add_null(),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let z = srv.typed_ref::<ZSet>(db, argv.get(1));
            let n = z.len();
            match z.rank(argv.get(2)) {
                Some((r, _)) => c.add_int(if rev { n - 1 - r } else { r } as i64),
                None => c.add_null(),
            }
        }
    }
}

pub fn zrank_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrank_generic(srv, c, argv, false)
}
pub fn zrevrank_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrank_generic(srv, c, argv, true)
}

pub fn zcount_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(r) = parse_score_range(argv.get(2), argv.get(3)) else {
        return c.add_error("min or max is not a float");
    };
    let db = c.db;
    match srv.check_type::<ZSet>(db, argv.get(1), false) {
        Typed::Missing => c.add_int(0),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let n = srv.typed_ref::<ZSet>(db, argv.get(1)).count_in_range(&r);
            c.add_int(n as i64)
        }
    }
}

pub fn zlexcount_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(r) = parse_lex_range(argv.get(2), argv.get(3)) else {
        return c.add_error("min or max not valid string range item");
    };
    let db = c.db;
    match srv.check_type::<ZSet>(db, argv.get(1), false) {
        Typed::Missing => c.add_int(0),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let n = srv.typed_ref::<ZSet>(db, argv.get(1)).count_in_range(&r);
            c.add_int(n as i64)
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Replies a list of (member, score) as ZRANGE does.
fn reply_items(c: &mut Client, items: &[(Vec<u8>, f64)], withscores: bool) {
    if withscores && c.resp >= 3 {
        c.add_array_len(items.len());
        for (e, s) in items {
            c.add_array_len(2);
            c.add_bulk(e);
            c.add_double(*s);
        }
    } else {
        c.add_array_len(items.len() * if withscores { 2 } else { 1 });
        for (e, s) in items {
            c.add_bulk(e);
            if withscores {
                c.add_double(*s);
            }
        }
    }
}

/// Resolves a rank range against a length: None when empty.
fn rank_bounds(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

/// zrangeGenericCommand: every ZRANGE flavour, replying or storing into `store`.
fn zrange_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    argc_start: usize,
    store: Option<&[u8]>,
    mut rtype: RangeType,
    mut rev: bool,
) {
    let key = argv.get(argc_start);
    // Only ZRANGE/ZRANGESTORE take REV/BYSCORE/BYLEX keywords.
    let dir_auto = rtype == RangeType::Auto;
    let mut minidx = argc_start + 1;
    let mut maxidx = argc_start + 2;
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut has_limit = false;
    let mut j = argc_start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv.get(j);
        if store.is_none() && eq_ic(a, "withscores") {
            withscores = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            let (Some(o), Some(l)) = (parse_i64(argv.get(j + 1)), parse_i64(argv.get(j + 2)))
            else {
                return c.add_error_not_int();
            };
            offset = o;
            limit = l;
            has_limit = true;
            j += 2;
        } else if dir_auto && !rev && eq_ic(a, "rev") {
            rev = true;
        } else if dir_auto && rtype == RangeType::Auto && eq_ic(a, "bylex") {
            rtype = RangeType::Lex;
        } else if dir_auto && rtype == RangeType::Auto && eq_ic(a, "byscore") {
            rtype = RangeType::Score;
        } else {
            return c.add_error_syntax();
        }
        j += 1;
    }
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if has_limit && rtype == RangeType::Rank {
        return c.add_error(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && rtype == RangeType::Lex {
        return c.add_error("syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    if rev && (rtype == RangeType::Score || rtype == RangeType::Lex) {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum R {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let r = match rtype {
        RangeType::Rank => {
            let (Some(s), Some(e)) = (parse_i64(argv.get(minidx)), parse_i64(argv.get(maxidx)))
            else {
                return c.add_error_not_int();
            };
            R::Rank(s, e)
        }
        RangeType::Score => match parse_score_range(argv.get(minidx), argv.get(maxidx)) {
            Some(r) => R::Score(r),
            None => return c.add_error("min or max is not a float"),
        },
        _ => match parse_lex_range(argv.get(minidx), argv.get(maxidx)) {
            Some(r) => R::Lex(r),
            None => return c.add_error("min or max not valid string range item"),
        },
    };
    let db = c.db;
    let items = match srv.check_type::<ZSet>(db, key, false) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing => Vec::new(),
        Typed::Found(()) => {
            let z = srv.typed_ref::<ZSet>(db, key);
            match &r {
                R::Rank(s, e) => match rank_bounds(*s, *e, z.len()) {
                    None => Vec::new(),
                    Some((s, e)) => {
                        if rev {
                            let n = z.len();
                            z.by_rank(n - 1 - e, n - 1 - s, true)
                        } else {
                            z.by_rank(s, e, false)
                        }
                    }
                },
                R::Score(r) => z.in_range(r, rev, offset, limit),
                R::Lex(r) => z.in_range(r, rev, offset, limit),
            }
        }
    };
    match store {
        None => reply_items(c, &items, withscores),
        Some(dst) => {
            let n = items.len();
            if n == 0 {
                if srv.db_delete(db, dst) {
                    srv.signal_modified_key(db, dst);
                    srv.notify_keyspace_event(class::GENERIC, "del", dst, db);
                    srv.dirty += 1;
                }
            } else {
                let hint = if matches!(r, R::Rank(..)) { n } else { 0 };
                let mut z = ZSet::create(srv, hint, 0);
                let lim = Limits::of(srv);
                for (e, s) in &items {
                    z.insert_new(lim, e, *s);
                }
                store_new(srv, db, dst, z);
                srv.notify_keyspace_event(class::ZSET, "zrangestore", dst, db);
                srv.dirty += 1;
            }
            c.add_int(n as i64);
        }
    }
}

pub fn zrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Auto, false)
}
pub fn zrevrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Rank, true)
}
pub fn zrangebyscore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Score, false)
}
pub fn zrevrangebyscore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Score, true)
}
pub fn zrangebylex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Lex, false)
}
pub fn zrevrangebylex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Lex, true)
}
pub fn zrangestore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let dst = argv.get(1).to_vec();
    zrange_generic(srv, c, argv, 2, Some(&dst), RangeType::Auto, false)
}

fn zremrange_generic(srv: &mut Server, c: &mut Client, argv: &Argv, rtype: RangeType) {
    let key = argv.get(1);
    enum R {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let r = match rtype {
        RangeType::Rank => {
            let (Some(s), Some(e)) = (parse_i64(argv.get(2)), parse_i64(argv.get(3))) else {
                return c.add_error_not_int();
            };
            R::Rank(s, e)
        }
        RangeType::Score => match parse_score_range(argv.get(2), argv.get(3)) {
            Some(r) => R::Score(r),
            None => return c.add_error("min or max is not a float"),
        },
        _ => match parse_lex_range(argv.get(2), argv.get(3)) {
            Some(r) => R::Lex(r),
            None => return c.add_error("min or max not valid string range item"),
        },
    };
    let db = c.db;
    match srv.check_type::<ZSet>(db, key, true) {
        Typed::Missing => return c.add_int(0),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let z = srv.typed_mut::<ZSet>(db, key);
    let items = match &r {
        R::Rank(s, e) => match rank_bounds(*s, *e, z.len()) {
            None => Vec::new(),
            Some((s, e)) => z.by_rank(s, e, false),
        },
        R::Score(r) => z.in_range(r, false, 0, -1),
        R::Lex(r) => z.in_range(r, false, 0, -1),
    };
    for (e, _) in &items {
        z.remove(e);
    }
    if !items.is_empty() {
        srv.signal_modified_key(db, key);
        let event = match &r {
            R::Rank(..) => "zremrangebyrank",
            R::Score(_) => "zremrangebyscore",
            R::Lex(_) => "zremrangebylex",
        };
        srv.notify_keyspace_event(class::ZSET, event, key, db);
    }
    delete_if_empty(srv, db, key);
    if !items.is_empty() {
        srv.dirty += items.len() as u64;
    }
    c.add_int(items.len() as i64);
}

pub fn zremrangebyrank_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zremrange_generic(srv, c, argv, RangeType::Rank)
}
pub fn zremrangebyscore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zremrange_generic(srv, c, argv, RangeType::Score)
}
pub fn zremrangebylex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zremrange_generic(srv, c, argv, RangeType::Lex)
}

/// genericZpopCommand over the first existing key of `keys`.
/// Returns false when no key held a zset (after replying when `reply_empty`).
#[allow(clippy::too_many_arguments)]
fn zpop_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[&[u8]],
    max: bool,
    emitkey: bool,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) {
    let db = c.db;
    let mut found = None;
    for k in keys {
        match srv.check_type::<ZSet>(db, k, true) {
            Typed::Missing => continue,
            Typed::WrongType => return c.add_error_wrongtype(),
            Typed::Found(()) => {
                found = Some(*k);
                break;
            }
        }
    }
    let Some(key) = found else {
        return if nil_when_empty {
            c.add_null_array()
        } else {
            c.add_array_len(0)
        };
    };
    if count == 0 {
        return c.add_array_len(0);
    }
    let orig_count = count;
    let count = if count == -1 { 1 } else { count };
    let z = srv.typed_mut::<ZSet>(db, key);
    let n = (count as u64).min(z.len() as u64) as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(z.pop(max).expect("non-empty"));
    }
    match (nested, emitkey) {
        (false, false) => c.add_array_len(n * 2),
        (true, false) => c.add_array_len(n),
        (false, true) => {
            c.add_array_len(n * 2 + 1);
            c.add_bulk(key);
        }
        (true, true) => {
            c.add_array_len(2);
            c.add_bulk(key);
            c.add_array_len(n);
        }
    }
    for (e, s) in &out {
        if nested {
            c.add_array_len(2);
        }
        c.add_bulk(e);
        c.add_double(*s);
    }
    srv.dirty += n as u64;
    if n > 0 {
        let event = if max { "zpopmax" } else { "zpopmin" };
        srv.notify_keyspace_event(class::ZSET, event, key, db);
    }
    srv.signal_modified_key(db, key);
    delete_if_empty(srv, db, key);
    // [B]ZMPOP and BZPOP* (the callers that emit the key) propagate as ZPOP*.
    if emitkey {
        let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        if orig_count == -1 {
            srv.rewrite_command(&[cmd, key]);
        } else {
            srv.rewrite_command(&[cmd, key, n.to_string().as_bytes()]);
        }
    }
}

fn zpop_minmax(srv: &mut Server, c: &mut Client, argv: &Argv, max: bool) {
    if argv.len() > 3 {
        return c.add_error_syntax();
    }
    let mut count = -1;
    if argv.len() == 3 {
        match get_positive_long_or_reply(c, argv.get(2), None) {
            Some(v) => count = v,
            None => return,
        }
    }
    let nested = c.resp > 2 && count != -1;
    zpop_generic(srv, c, &[argv.get(1)], max, false, count, nested, false)
}

pub fn zpopmin_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zpop_minmax(srv, c, argv, false)
}
pub fn zpopmax_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zpop_minmax(srv, c, argv, true)
}

fn blocking_zpop(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    keys: &[&[u8]],
    max: bool,
    timeout_idx: usize,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) {
    let Some(timeout) = parse_timeout_secs(c, argv.get(timeout_idx)) else {
        return;
    };
    let db = c.db;
    for k in keys {
        match srv.check_type::<ZSet>(db, k, true) {
            Typed::Missing => continue,
            Typed::WrongType => return c.add_error_wrongtype(),
            Typed::Found(()) => {
                return zpop_generic(srv, c, &[k], max, true, count, nested, nil_when_empty);
            }
        }
    }
    if c.flags.has(ClientFlags::DENY_BLOCKING) {
        return c.add_null_array();
    }
    srv.block_for_keys(c, BlockType::Zset, keys, timeout, argv);
}

pub fn bzpopmin_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.get(i)).collect();
    blocking_zpop(srv, c, argv, &keys, false, argv.len() - 1, -1, false, false)
}
pub fn bzpopmax_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.get(i)).collect();
    blocking_zpop(srv, c, argv, &keys, true, argv.len() - 1, -1, false, false)
}

/// zmpopGenericCommand's argument parsing: (first key index, numkeys, max, count).
fn parse_zmpop(
    c: &mut Client,
    argv: &Argv,
    numkeys_idx: usize,
) -> Option<(usize, usize, bool, i64)> {
    let numkeys = match parse_i64(argv.get(numkeys_idx)) {
        Some(n) if n > 0 => n as usize,
        Some(_) | None => {
            c.add_error("numkeys should be greater than 0");
            return None;
        }
    };
    let where_idx = numkeys_idx + 1 + numkeys;
    if where_idx >= argv.len() {
        c.add_error_syntax();
        return None;
    }
    let w = argv.get(where_idx);
    let max = if eq_ic(w, "min") {
        false
    } else if eq_ic(w, "max") {
        true
    } else {
        c.add_error_syntax();
        return None;
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        if count == -1 && eq_ic(argv.get(j), "count") && left >= 1 {
            match parse_i64(argv.get(j + 1)) {
                Some(v) if v > 0 => count = v,
                _ => {
                    c.add_error("count should be greater than 0");
                    return None;
                }
            }
            j += 2;
        } else {
            c.add_error_syntax();
            return None;
        }
    }
    if count == -1 {
        count = 1;
    }
    Some((numkeys_idx + 1, numkeys, max, count))
}

pub fn zmpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some((first, n, max, count)) = parse_zmpop(c, argv, 1) else {
        return;
    };
    let keys: Vec<&[u8]> = (first..first + n).map(|i| argv.get(i)).collect();
    zpop_generic(srv, c, &keys, max, true, count, true, true)
}

pub fn bzmpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some((first, n, max, count)) = parse_zmpop(c, argv, 2) else {
        return;
    };
    let keys: Vec<&[u8]> = (first..first + n).map(|i| argv.get(i)).collect();
    blocking_zpop(srv, c, argv, &keys, max, 1, count, true, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lex_and_score_ranges() {
        let r = parse_score_range(b"(1", b"3").unwrap();
        assert!(!r.gte_min(1.0, b""));
        assert!(r.lte_max(3.0, b""));
        assert!(parse_score_range(b"nan", b"1").is_none());
        // strtod stops at once on an empty string and Redis takes that as 0.
        let r = parse_score_range(b"(", b"").unwrap();
        assert!(!r.gte_min(0.0, b"") && r.gte_min(0.5, b"") && r.lte_max(0.0, b""));
        assert!(parse_score_range(b" ", b"1").is_none());
        let l = parse_lex_range(b"[a", b"(c").unwrap();
        assert!(l.gte_min(0.0, b"a") && !l.lte_max(0.0, b"c"));
        assert!(parse_lex_range(b"a", b"+").is_none());
    }
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggr {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, a: Aggr) {
    match a {
        Aggr::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggr::Min => {
            if val < *target {
                *target = val
            }
        }
        Aggr::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

/// One input of ZUNION/ZINTER/ZDIFF (zsetopsrc): a sorted set, or a plain set
/// whose members all score 1.
enum OpSrc<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a SetVal),
}

impl OpSrc<'_> {
    fn len(&self) -> usize {
        match self {
            OpSrc::Missing => 0,
            OpSrc::Z(z) => z.len(),
            OpSrc::S(s) => s.len(),
        }
    }

    fn items(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            OpSrc::Missing => Vec::new(),
            OpSrc::Z(z) => z.items(),
            OpSrc::S(s) => {
                let mut out = Vec::with_capacity(s.len());
                s.for_each(|m| out.push((m.to_vec(), 1.0)));
                out
            }
        }
    }

    fn score(&self, ele: &[u8]) -> Option<f64> {
        match self {
            OpSrc::Missing => None,
            OpSrc::Z(z) => z.score(ele),
            OpSrc::S(s) => s.contains(ele).then_some(1.0),
        }
    }
}

/// zunionInterDiffGenericCommand.
fn zsetop_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
    cmdname: &str,
) {
    let Some(setnum) = parse_i64(argv.get(numkeys_idx)) else {
        return c.add_error_not_int();
    };
    if setnum < 1 {
        return c.add_error(&format!(
            "at least 1 input key is needed for '{}' command",
            cmdname
        ));
    }
    if setnum > (argv.len() - numkeys_idx - 1) as i64 {
        return c.add_error_syntax();
    }
    let setnum = setnum as usize;
    let db = c.db;
    // (input kind, weight); plain sets are inputs too, every member scoring 1.
    let mut srcs: Vec<(Typed<bool>, f64)> = Vec::with_capacity(setnum);
    for i in 0..setnum {
        let k = argv.get(numkeys_idx + 1 + i);
        let kind = match srv.lookup_read(db, k).map(|o| &o.val) {
            None => Typed::Missing,
            Some(Value::ZSet(_)) => Typed::Found(false),
            Some(Value::Set(_)) => Typed::Found(true),
            Some(_) => return c.add_error_wrongtype(),
        };
        srcs.push((kind, 1.0));
    }
    let mut j = numkeys_idx + 1 + setnum;
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv.get(j);
        if op != SetOp::Diff && !card_only && remaining > setnum && eq_ic(a, "weights") {
            j += 1;
            for s in srcs.iter_mut() {
                match parse_double(argv.get(j)) {
                    Some(w) => s.1 = w,
                    None => return c.add_error("weight value is not a float"),
                }
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && eq_ic(a, "aggregate") {
            let v = argv.get(j + 1);
            aggr = if eq_ic(v, "sum") {
                Aggr::Sum
            } else if eq_ic(v, "min") {
                Aggr::Min
            } else if eq_ic(v, "max") {
                Aggr::Max
            } else {
                return c.add_error_syntax();
            };
            j += 2;
        } else if dst.is_none() && !card_only && eq_ic(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && eq_ic(a, "limit") {
            match parse_i64(argv.get(j + 1)) {
                Some(v) if v >= 0 => limit = v,
                _ => return c.add_error("LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return c.add_error_syntax();
        }
    }
    let inputs: Vec<OpSrc> = srcs
        .iter()
        .enumerate()
        .map(|(i, (kind, _))| {
            let k = argv.get(numkeys_idx + 1 + i);
            match kind {
                Typed::Found(false) => OpSrc::Z(srv.typed_ref::<ZSet>(db, k)),
                Typed::Found(true) => OpSrc::S(srv.typed_ref::<SetVal>(db, k)),
                _ => OpSrc::Missing,
            }
        })
        .collect();
    let sets: Vec<(&OpSrc, f64, usize)> = inputs
        .iter()
        .zip(srcs.iter())
        .map(|(src, &(_, w))| (src, w, src.len()))
        .collect();
    let mut order: Vec<usize> = (0..setnum).collect();
    if op != SetOp::Diff {
        order.sort_by_key(|&i| sets[i].2);
    }
    let get = |i: usize| -> Option<&OpSrc> {
        match sets[i].0 {
            OpSrc::Missing => None,
            src => Some(src),
        }
    };
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality = 0i64;
    match op {
        SetOp::Inter => {
            let first = order[0];
            if let Some(z0) = get(first) {
                for (e, s0) in z0.items() {
                    let mut score = sets[first].1 * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for &o in &order[1..] {
                        match get(o).and_then(|z| z.score(&e)) {
                            Some(v) => aggregate(&mut score, v * sets[o].1, aggr),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        if card_only {
                            cardinality += 1;
                            if limit > 0 && cardinality >= limit {
                                break;
                            }
                        } else {
                            result.push((e, score));
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: std::collections::HashMap<Vec<u8>, f64> = std::collections::HashMap::new();
            let mut keys_order: Vec<Vec<u8>> = Vec::new();
            for &o in &order {
                let Some(z) = get(o) else { continue };
                for (e, s) in z.items() {
                    let mut score = sets[o].1 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&e) {
                        Some(t) => aggregate(t, score, aggr),
                        None => {
                            keys_order.push(e.clone());
                            acc.insert(e, score);
                        }
                    }
                }
            }
            for e in keys_order {
                let s = acc[&e];
                result.push((e, s));
            }
        }
        SetOp::Diff => {
            if let Some(z0) = get(0) {
                for (e, s) in z0.items() {
                    if (1..setnum).all(|o| get(o).and_then(|z| z.score(&e)).is_none()) {
                        result.push((e, s));
                    }
                }
            }
        }
    }
    if card_only {
        return c.add_int(cardinality);
    }
    // The result is ordered as a skiplist orders it.
    result.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    match dst {
        Some(dst) => {
            if result.is_empty() {
                c.add_int(0);
                if srv.db_delete(db, dst) {
                    srv.signal_modified_key(db, dst);
                    srv.notify_keyspace_event(class::GENERIC, "del", dst, db);
                    srv.dirty += 1;
                }
            } else {
                let mut z = ZSet::Sl(Box::new(SkipZ {
                    dict: Dict::new(),
                    sl: Skiplist::new(),
                }));
                let lim = Limits::of(srv);
                for (e, s) in &result {
                    z.insert_new(lim, e, *s);
                }
                z.shrink_if_fits(srv);
                let n = z.len();
                store_new(srv, db, dst, z);
                c.add_int(n as i64);
                let event = match op {
                    SetOp::Union => "zunionstore",
                    SetOp::Inter => "zinterstore",
                    SetOp::Diff => "zdiffstore",
                };
                srv.notify_keyspace_event(class::ZSET, event, dst, db);
                srv.dirty += 1;
            }
        }
        None => reply_items(c, &result, withscores),
    }
}

pub fn zunion_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zsetop_generic(srv, c, argv, None, 1, SetOp::Union, false, "zunion")
}
pub fn zinter_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zsetop_generic(srv, c, argv, None, 1, SetOp::Inter, false, "zinter")
}
pub fn zdiff_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zsetop_generic(srv, c, argv, None, 1, SetOp::Diff, false, "zdiff")
}
pub fn zintercard_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    zsetop_generic(srv, c, argv, None, 1, SetOp::Inter, true, "zintercard")
}
pub fn zunionstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let dst = argv.get(1).to_vec();
    zsetop_generic(
        srv,
        c,
        argv,
        Some(&dst),
        2,
        SetOp::Union,
        false,
        "zunionstore",
    )
}
pub fn zinterstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let dst = argv.get(1).to_vec();
    zsetop_generic(
        srv,
        c,
        argv,
        Some(&dst),
        2,
        SetOp::Inter,
        false,
        "zinterstore",
    )
}
pub fn zdiffstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let dst = argv.get(1).to_vec();
    zsetop_generic(
        srv,
        c,
        argv,
        Some(&dst),
        2,
        SetOp::Diff,
        false,
        "zdiffstore",
    )
}

/// Redis's d2string: how ZSCAN writes a skiplist score.
fn d2string(v: f64) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    match score_as_int(v) {
        Some(i) => i.to_string(),
        None => fmt_f64_g17(v),
    }
}

pub fn zscan_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    use crate::db::keyspace_cmds::{parse_scan_cursor, parse_scan_opts};
    let Some(mut cursor) = parse_scan_cursor(argv.get(2)) else {
        return c.add_error("invalid cursor");
    };
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<ZSet>(db, key, false) {
        Typed::Missing => {
            c.add_array_len(2);
            c.add_bulk(b"0");
            c.add_array_len(0);
            return;
        }
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let Some(opts) = parse_scan_opts(c, argv, 3, false) else {
        return;
    };
    let z = srv.typed_ref::<ZSet>(db, key);
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    match z {
        ZSet::Lp(lp) => {
            let mut it = lp.iter();
            while let (Some(e), Some(s)) = (it.next(), it.next()) {
                out.push((e.to_vec(), s.to_vec()));
            }
            cursor = 0;
        }
        ZSet::Sl(sz) => {
            let mut maxiterations = opts.count.wrapping_mul(10);
            loop {
                cursor = sz.dict.scan(cursor, |k, v| {
                    out.push((k.to_vec(), d2string(*v).into_bytes()))
                });
                if cursor == 0 {
                    break;
                }
                let more = maxiterations != 0;
                maxiterations = maxiterations.wrapping_sub(1);
                if !more || out.len() as i64 >= opts.count {
                    break;
                }
            }
        }
    }
    if let Some(p) = opts.pattern {
        out.retain(|(k, _)| crate::util::glob_match(p, k, false));
    }
    c.add_array_len(2);
    c.add_bulk(cursor.to_string().as_bytes());
    c.add_array_len(out.len() * 2);
    for (k, v) in &out {
        c.add_bulk(k);
        c.add_bulk(v);
    }
}

pub fn zrandmember_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    if argv.len() >= 3 {
        let l = match parse_i64(argv.get(2)) {
            Some(v) if v >= -i64::MAX => v,
            Some(_) => {
                return c.add_error(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
            }
            None => return c.add_error_not_int(),
        };
        if argv.len() > 4 || (argv.len() == 4 && !eq_ic(argv.get(3), "withscores")) {
            return c.add_error_syntax();
        }
        let withscores = argv.len() == 4;
        if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            return c.add_error("value is out of range");
        }
        match srv.check_type::<ZSet>(db, key, false) {
            Typed::Missing => return c.add_array_len(0),
            Typed::WrongType => return c.add_error_wrongtype(),
            Typed::Found(()) => {}
        }
        if l == 0 {
            return c.add_array_len(0);
        }
        let items = srv.typed_ref::<ZSet>(db, key).items();
        let size = items.len();
        let picks: Vec<usize> = if l < 0 {
            let n = l.unsigned_abs() as usize;
            (0..n)
                .map(|_| srv.rng.below(size as u64) as usize)
                .collect()
        } else if l as usize >= size {
            (0..size).collect()
        } else {
            // A random subset without repetition (partial Fisher-Yates).
            let n = l as usize;
            let mut idx: Vec<usize> = (0..size).collect();
            for i in 0..n {
                let j = i + srv.rng.below((size - i) as u64) as usize;
                idx.swap(i, j);
            }
            idx.truncate(n);
            idx
        };
        let pairs: Vec<(Vec<u8>, f64)> = picks.iter().map(|&i| items[i].clone()).collect();
        reply_items(c, &pairs, withscores);
        return;
    }
    match srv.check_type::<ZSet>(db, key, false) {
        Typed::Missing => c.add_null(),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let n = srv.typed_ref::<ZSet>(db, key).len();
            let i = srv.rng.below(n as u64) as usize;
            let e = srv
                .typed_ref::<ZSet>(db, key)
                .by_rank(i, i, false)
                .pop()
                .expect("in range")
                .0;
            c.add_bulk(&e);
        }
    }
}
