//! Values stored in the keyspace and their encodings, as Redis's object.c shows them
//! through OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ and TYPE.

/// Strings up to this length are "embstr" when created whole (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Integers below this are shared objects (OBJ_SHARED_INTEGERS).
pub const SHARED_INTEGERS: i64 = 10000;
/// The refcount Redis reports for shared objects (OBJ_SHARED_REFCOUNT).
pub const SHARED_REFCOUNT: i64 = i32::MAX as i64;

pub enum StrEnc {
    /// An integer: "int" encoding; `shared` when it would be one of Redis's shared integers.
    Int {
        v: i64,
        shared: bool,
    },
    Embstr(Vec<u8>),
    Raw(Vec<u8>),
}

pub enum Value {
    Str(StrEnc),
}

pub struct Obj {
    pub val: Value,
    /// LRU clock (seconds resolution, 24 bits) or LFU data, as Redis's robj.lru.
    pub lru: u32,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(StrEnc::Int { .. }) => "int",
            Value::Str(StrEnc::Embstr(_)) => "embstr",
            Value::Str(StrEnc::Raw(_)) => "raw",
        }
    }
}

impl StrEnc {
    /// A string value as SET stores it: tryObjectEncoding's rules (integers that
    /// round-trip become "int", short strings "embstr", others "raw").
    pub fn from_bytes(b: &[u8], share_ints: bool) -> StrEnc {
        if b.len() <= 20 {
            if let Some(v) = crate::util::parse_i64(b) {
                return StrEnc::from_int(v, share_ints);
            }
        }
        if b.len() <= EMBSTR_SIZE_LIMIT {
            StrEnc::Embstr(b.to_vec())
        } else {
            StrEnc::Raw(b.to_vec())
        }
    }

    /// A string with no encoding attempt (APPEND/SETRANGE results, raw from the start).
    pub fn raw(b: Vec<u8>) -> StrEnc {
        StrEnc::Raw(b)
    }

    pub fn from_int(v: i64, share_ints: bool) -> StrEnc {
        StrEnc::Int {
            v,
            shared: share_ints && (0..SHARED_INTEGERS).contains(&v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrEnc::Int { v, .. } => {
                let mut b = [0u8; 20];
                crate::util::fmt_i64(*v, &mut b).len()
            }
            StrEnc::Embstr(s) | StrEnc::Raw(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, formatting integers into `tmp`.
    #[inline]
    pub fn as_bytes<'a>(&'a self, tmp: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            StrEnc::Int { v, .. } => crate::util::fmt_i64(*v, tmp),
            StrEnc::Embstr(s) | StrEnc::Raw(s) => s,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = [0u8; 20];
        self.as_bytes(&mut t).to_vec()
    }

    /// Turns the value into a mutable raw buffer (APPEND, SETRANGE, SETBIT), as
    /// dbUnshareStringValue does.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrEnc::Raw(_)) {
            let v = match std::mem::replace(self, StrEnc::Raw(Vec::new())) {
                StrEnc::Int { v, .. } => {
                    let mut t = [0u8; 20];
                    crate::util::fmt_i64(v, &mut t).to_vec()
                }
                StrEnc::Embstr(s) => s,
                StrEnc::Raw(s) => s,
            };
            *self = StrEnc::Raw(v);
        }
        match self {
            StrEnc::Raw(s) => s,
            _ => unreachable!(),
        }
    }

    /// The value as an integer when it is one (INCR family).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrEnc::Int { v, .. } => Some(*v),
            StrEnc::Embstr(s) | StrEnc::Raw(s) => {
                if s.len() > 20 {
                    None
                } else {
                    crate::util::parse_i64(s)
                }
            }
        }
    }

    pub fn refcount(&self) -> i64 {
        match self {
            StrEnc::Int { shared: true, .. } => SHARED_REFCOUNT,
            _ => 1,
        }
    }
}

impl Obj {
    pub fn new(val: Value, lru: u32) -> Obj {
        Obj { val, lru }
    }

    pub fn string(s: StrEnc, lru: u32) -> Obj {
        Obj {
            val: Value::Str(s),
            lru,
        }
    }
}
