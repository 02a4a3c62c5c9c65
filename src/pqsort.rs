//! Redis's partial quicksort (pqsort.c, Bentley & McIlroy's quicksort that
//! skips partitions outside the wanted range). GEO searches with COUNT and
//! SORT BY with LIMIT use it, so which of several equal elements (points at
//! the same distance, equal BY values) come first follows its exact
//! partitioning; a stable sort would order ties differently from Redis.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `lrange..=rrange` hold what a full sort
/// would put there (with Redis's choice among equal elements).
pub fn pqsort<T, F: FnMut(&T, &T) -> Ordering>(
    v: &mut [T],
    lrange: usize,
    rrange: usize,
    mut cmp: F,
) {
    if !v.is_empty() {
        partial(v, 0, v.len(), &mut cmp, lrange, rrange);
    }
}

fn med3<T, F: FnMut(&T, &T) -> Ordering>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut F,
) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements starting at `a` with the `n` starting at `b`.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Whether the subarray [s, s+m) lies wholly before or after the wanted range.
fn outside(s: usize, m: usize, l: usize, r: usize) -> bool {
    (l < s && r < s) || (l >= s + m && r >= s + m)
}

fn partial<T, F: FnMut(&T, &T) -> Ordering>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &mut F,
    l: usize,
    r: usize,
) {
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let k = (pa - a).min(pb - pa);
        vecswap(v, a, pb - k, k);
        let k = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - k, k);
        let k = pb - pa;
        if k > 1 && !outside(a, k, l, r) {
            partial(v, a, k, cmp, l, r);
        }
        let k = pd - pc;
        if k > 1 {
            a = pn - k;
            n = k;
            if !outside(a, n, l, r) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_matches_full_sort() {
        let mut rng = crate::util::Rng::new();
        for len in [0usize, 1, 5, 7, 8, 40, 41, 100, 1000] {
            let orig: Vec<u64> = (0..len).map(|_| rng.below(50)).collect();
            let mut full = orig.clone();
            full.sort();
            for (l, r) in [(0, 0), (0, 4), (3, 9), (len / 2, len / 2 + 3)] {
                if len == 0 || r >= len {
                    continue;
                }
                let mut v = orig.clone();
                pqsort(&mut v, l, r, |a, b| a.cmp(b));
                assert_eq!(v[l..=r], full[l..=r], "len {} range {}..={}", len, l, r);
            }
            let mut v = orig.clone();
            if len > 0 {
                pqsort(&mut v, 0, len - 1, |a, b| a.cmp(b));
            }
            assert_eq!(v, full);
        }
    }
}
