//! RESP: the request parser (pure, resumable, fuzzable) and the argument view that
//! command handlers read. Replies are encoded in networking::reply.

pub mod parse;

pub use parse::{parse_request, Limits, ParseOutcome};

/// The arguments of one command: byte ranges into a buffer the caller owns
/// (the client's query buffer for multibulk, a scratch buffer for inline).
#[derive(Clone, Copy)]
pub struct Argv<'a> {
    pub buf: &'a [u8],
    pub ranges: &'a [(u32, u32)],
}

impl<'a> Argv<'a> {
    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.ranges[i];
        &self.buf[s as usize..e as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
    pub fn to_owned_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(|a| a.to_vec()).collect()
    }
}

impl<'a> std::ops::Index<usize> for Argv<'a> {
    type Output = [u8];
    #[inline]
    fn index(&self, i: usize) -> &[u8] {
        self.get(i)
    }
}

/// An owned argument vector (MULTI queues, scripts, replication feeds) viewed as Argv.
#[derive(Default, Clone)]
pub struct OwnedArgv {
    pub buf: Vec<u8>,
    pub ranges: Vec<(u32, u32)>,
}

impl OwnedArgv {
    pub fn from_slices<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(args: I) -> OwnedArgv {
        let mut o = OwnedArgv::default();
        for a in args {
            o.push(a.as_ref());
        }
        o
    }
    pub fn from_argv(a: &Argv) -> OwnedArgv {
        OwnedArgv::from_slices(a.iter())
    }
    pub fn push(&mut self, a: &[u8]) {
        let s = self.buf.len() as u32;
        self.buf.extend_from_slice(a);
        self.ranges.push((s, self.buf.len() as u32));
    }
    pub fn view(&self) -> Argv<'_> {
        Argv {
            buf: &self.buf,
            ranges: &self.ranges,
        }
    }
}
