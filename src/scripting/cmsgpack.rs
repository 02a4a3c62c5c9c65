//! The `cmsgpack` Lua library Redis ships (lua_cmsgpack 0.4.0): pack,
//! unpack, unpack_one and unpack_limit with the C library's exact choices —
//! a table is an array only when its keys are exactly 1..n, integral numbers
//! use the smallest int encoding, other numbers a float when that is exact
//! and a double otherwise, tables nested 16 deep pack as nil (so circular
//! references terminate). Registered as a global by libs.rs before the
//! sandbox makes it read-only.

use mlua::{Lua, MultiValue, Table, Value};

use super::lauxlib;

/// Tables deeper than this pack as nil (LUACMSGPACK_MAX_NESTING).
const MAX_NESTING: usize = 16;

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_double(out: &mut Vec<u8>, d: f64) {
    let f = d as f32;
    if f as f64 == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_header(out: &mut Vec<u8>, n: usize, fix: u8, w16: u8, w32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(w16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(w32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// A number packs as an int when a C int64 cast keeps it exactly.
fn encode_number(out: &mut Vec<u8>, n: f64) {
    if n.is_finite()
        && (-9223372036854775808.0..9223372036854775808.0).contains(&n)
        && n.trunc() == n
    {
        encode_int(out, n as i64);
    } else {
        encode_double(out, n);
    }
}

/// table_is_an_array: every key a positive number with an int value, and
/// the largest equal to the count (so 1..n without holes).
fn is_array(t: &Table) -> mlua::Result<bool> {
    let mut count: i64 = 0;
    let mut max: i64 = 0;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        // IS_INT_EQUIVALENT: the value survives a cast to C int.
        if n <= 0.0 || n > i32::MAX as f64 || n.trunc() != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

fn encode_value(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(out, s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => encode_number(out, *n as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t)? {
                let len = t.raw_len();
                encode_header(out, len, 0x90, 0xdc, 0xdd);
                for i in 1..=len {
                    let e: Value = t.get(i)?;
                    encode_value(out, &e, level + 1)?;
                }
            } else {
                // Counted first, then encoded pair by pair: holding every
                // pair at once would exhaust mlua's reference slots.
                let mut n = 0;
                for pair in t.clone().pairs::<Value, Value>() {
                    pair?;
                    n += 1;
                }
                encode_header(out, n, 0x80, 0xde, 0xdf);
                for pair in t.clone().pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    encode_value(out, &k, level + 1)?;
                    encode_value(out, &v, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Packs each argument and concatenates the encodings.
pub fn pack(args: &[Value]) -> mlua::Result<Vec<u8>> {
    let mut out = Vec::new();
    for v in args {
        encode_value(&mut out, v, 0)?;
    }
    Ok(out)
}

/// Lua's limit on the stack slots of one C function (LUAI_MAXCSTACK).
const MAX_C_STACK: usize = 8000;

/// Results one unpack call may return. Each returned value holds one of
/// mlua's reference slots, which the same 8000 limit bounds together with
/// the references already in use, so this is below the C library's
/// limit: between 7000 and 7999 values Redis returns them and we raise
/// the error it raises beyond.
const MAX_RESULTS: usize = 7000;

const TOO_MANY: &str = "too many return values at once; use unpack_one or unpack_limit instead.";

#[derive(Debug, PartialEq)]
enum DecodeError {
    Eof,
    BadFormat,
}

/// A decode failure: a format error, or a Lua error (stack, table index).
enum Fail {
    Decode(DecodeError),
    Lua(mlua::Error),
}

impl From<DecodeError> for Fail {
    fn from(e: DecodeError) -> Self {
        Fail::Decode(e)
    }
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Self {
        Fail::Lua(e)
    }
}

/// The input cursor, plus the count of stack slots the C decoder would be
/// using: its stack checks (luaL_checkstack against LUAI_MAXCSTACK) decide
/// when deep nesting or too many values fail, and with which message.
struct Decoder<'a, 'l> {
    lua: &'l Lua,
    level: usize,
    b: &'a [u8],
    p: usize,
    slots: usize,
}

impl<'a, 'l> Decoder<'a, 'l> {
    fn left(&self) -> usize {
        self.b.len() - self.p
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.left() < n {
            return Err(DecodeError::Eof);
        }
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }

    fn check_stack(&self, extra: usize, what: &str) -> Result<(), Fail> {
        if self.slots + extra > MAX_C_STACK {
            return Err(Fail::Lua(lauxlib::error(
                self.lua,
                self.level,
                &format!("stack overflow ({})", what),
            )));
        }
        Ok(())
    }

    fn array(&mut self, len: usize) -> Result<Value<'l>, Fail> {
        let t = self.lua.create_table()?;
        self.slots += 1;
        self.check_stack(1, "in function mp_decode_to_lua_array")?;
        self.slots += 1; // the index
        for i in 1..=len {
            let v = self.value()?;
            t.raw_set(i, v)?;
        }
        self.slots -= 2;
        Ok(Value::Table(t))
    }

    fn map(&mut self, len: usize) -> Result<Value<'l>, Fail> {
        let t = self.lua.create_table()?;
        self.slots += 1;
        for _ in 0..len {
            let k = self.value()?;
            self.slots += 1;
            let v = self.value()?;
            self.slots -= 1;
            // lua_settable's own refusals: VM errors raised in a C function
            // carry no position.
            match &k {
                Value::Nil => return Err(Fail::Lua(vm_error("table index is nil"))),
                Value::Number(n) if n.is_nan() => {
                    return Err(Fail::Lua(vm_error("table index is NaN")))
                }
                _ => {}
            }
            t.raw_set(k, v)?;
        }
        self.slots -= 1;
        Ok(Value::Table(t))
    }

    fn string(&mut self, len: usize) -> Result<Value<'l>, Fail> {
        let s = self.take(len)?;
        Ok(Value::String(self.lua.create_string(s)?))
    }

    /// One value (mp_decode_to_lua_type).
    fn value(&mut self) -> Result<Value<'l>, Fail> {
        if self.left() < 1 {
            return Err(Fail::Decode(DecodeError::Eof));
        }
        self.check_stack(1, TOO_MANY)?;
        let tag = self.take(1)?[0];
        Ok(match tag {
            0xcc => num(self.be(1)? as f64),
            0xd0 => num(self.be(1)? as u8 as i8 as f64),
            0xcd => num(self.be(2)? as f64),
            0xd1 => num(self.be(2)? as u16 as i16 as f64),
            0xce => num(self.be(4)? as f64),
            0xd2 => num(self.be(4)? as u32 as i32 as f64),
            // lua_pushunsigned is lua_pushinteger on 64-bit builds: the top bit wraps.
            0xcf => num(self.be(8)? as i64 as f64),
            0xd3 => num(self.be(8)? as i64 as f64),
            0xc0 => Value::Nil,
            0xc3 => Value::Boolean(true),
            0xc2 => Value::Boolean(false),
            0xca => num(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => num(f64::from_bits(self.be(8)?)),
            0xd9 => {
                let l = self.be(1)? as usize;
                self.string(l)?
            }
            0xda => {
                let l = self.be(2)? as usize;
                self.string(l)?
            }
            0xdb => {
                let l = self.be(4)? as usize;
                self.string(l)?
            }
            0xdc => {
                let l = self.be(2)? as usize;
                self.array(l)?
            }
            0xdd => {
                let l = self.be(4)? as usize;
                self.array(l)?
            }
            0xde => {
                let l = self.be(2)? as usize;
                self.map(l)?
            }
            0xdf => {
                let l = self.be(4)? as usize;
                self.map(l)?
            }
            b if b & 0x80 == 0 => num(b as f64),
            b if b & 0xe0 == 0xe0 => num(b as i8 as f64),
            b if b & 0xe0 == 0xa0 => self.string((b & 0x1f) as usize)?,
            b if b & 0xf0 == 0x90 => self.array((b & 0xf) as usize)?,
            b if b & 0xf0 == 0x80 => self.map((b & 0xf) as usize)?,
            _ => return Err(Fail::Decode(DecodeError::BadFormat)),
        })
    }
}

fn vm_error(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(msg.into())
}

fn num<'l>(n: f64) -> Value<'l> {
    Value::Number(n)
}

/// mp_unpack_full: limit and offset 0 decode everything and return just the
/// values; otherwise the next offset (-1 at the end) comes first. `base` is
/// the number of the C function's stack slots already in use (its
/// arguments).
fn unpack_full<'l>(
    lua: &'l Lua,
    args: &MultiValue<'l>,
    base: usize,
    limit: i64,
    offset: i64,
) -> mlua::Result<MultiValue<'l>> {
    let s = lauxlib::check_bytes(lua, 0, args, 1)?;
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // The C library prints the input length where it means the limit.
        return Err(lauxlib::error(
            lua,
            0,
            &format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32,
                s.len() as i32
            ),
        ));
    }
    if offset as u64 > s.len() as u64 {
        return Err(lauxlib::error(
            lua,
            0,
            &format!(
                "Start offset {} greater than input length {}.",
                offset as i32,
                s.len() as i32
            ),
        ));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut d = Decoder {
        lua,
        level: 0,
        b: &s,
        p: offset as usize,
        slots: base,
    };
    let mut out = Vec::new();
    let mut decoded = 0;
    while d.left() > 0 && decoded < limit {
        if out.len() >= MAX_RESULTS {
            return Err(lauxlib::error(
                lua,
                0,
                &format!("stack overflow ({})", TOO_MANY),
            ));
        }
        match d.value() {
            Ok(v) => out.push(v),
            Err(Fail::Decode(DecodeError::Eof)) => {
                return Err(lauxlib::error(lua, 0, "Missing bytes in input."))
            }
            Err(Fail::Decode(DecodeError::BadFormat)) => {
                return Err(lauxlib::error(lua, 0, "Bad data format in input."))
            }
            Err(Fail::Lua(e)) => return Err(e),
        }
        d.slots += 1;
        decoded += 1;
    }
    if !decode_all {
        d.check_stack(1, "in function mp_unpack_full")
            .map_err(|f| match f {
                Fail::Lua(e) => e,
                Fail::Decode(_) => unreachable!(),
            })?;
        let next = if d.left() == 0 { -1.0 } else { d.p as f64 };
        out.insert(0, Value::Number(next));
    }
    Ok(MultiValue::from_vec(out))
}

/// Builds the `cmsgpack` table (with lua_cmsgpack's metadata fields).
pub fn create(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            if args.is_empty() {
                return Err(lauxlib::arg_error(
                    lua,
                    0,
                    0,
                    "MessagePack pack needs input.",
                ));
            }
            let v: Vec<Value> = args.into_iter().collect();
            lua.create_string(pack(&v)?)
        })?,
    )?;
    // unpack keeps all its arguments on the C stack; the others pop to one.
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let base = args.len().max(1);
            unpack_full(lua, &args, base, 0, 0)
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = lauxlib::opt_integer(lua, 0, &args, 2, 0)?;
            unpack_full(lua, &args, 1, 1, offset)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = lauxlib::check_integer(lua, 0, &args, 2)?;
            let offset = lauxlib::opt_integer(lua, 0, &args, 3, 0)?;
            unpack_full(lua, &args, 1, limit, offset)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(lua: &Lua, code: &str) -> String {
        let s: mlua::String = lua.load(code).eval().unwrap();
        s.as_bytes().iter().map(|b| format!("{:02x}", b)).collect()
    }

    fn state() -> Lua {
        let lua = Lua::new();
        lua.globals()
            .set("cmsgpack", create(&lua).unwrap())
            .unwrap();
        lua
    }

    #[test]
    fn vectors_from_redis() {
        // Outputs of Redis 7.0.15's cmsgpack.pack for the same inputs.
        let lua = state();
        assert_eq!(hex(&lua, "return cmsgpack.pack(0.1)"), "cb3fb999999999999a");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack(-1099511627776)"),
            "d3ffffff0000000000"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack(1.5)"), "ca3fc00000");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack({1,2,3}, {a=1}, true, nil)"),
            "93010203".to_owned() + "81a16101" + "c3" + "c0"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack({[2]=1})"), "810201");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack(-33, 255, 65536)"),
            "d0dfccffce00010000"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack(2^63)"), "ca5f000000");
    }

    #[test]
    fn roundtrip_and_limits() {
        let lua = state();
        let ok: bool = lua
            .load(
                r#"
                local t = {s=string.rep('x', 300), a={1,2,{b=false}}, n=-3147483648, d=0.25}
                local u = cmsgpack.unpack(cmsgpack.pack(t))
                assert(u.s == t.s and u.a[3].b == false and u.n == t.n and u.d == 0.25)
                local off, v = cmsgpack.unpack_one(cmsgpack.pack('a', 'b'))
                assert(off == 2 and v == 'a')
                off, v = cmsgpack.unpack_one(cmsgpack.pack('a', 'b'), off)
                assert(off == -1 and v == 'b')
                local c = {}; c.c = c
                local depth, x = 0, cmsgpack.unpack(cmsgpack.pack(c))
                while x do depth = depth + 1; x = x.c end
                assert(depth == 16)
                local big = {}
                for i = 1, 100000 do big[tostring(i)] = i end
                assert(cmsgpack.unpack(cmsgpack.pack(big))['777'] == 777)
                return true"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
        let e = lua
            .load("return cmsgpack.unpack('\\146\\1')")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("Missing bytes in input."), "{}", e);
        let e = lua
            .load("return cmsgpack.unpack('\\193')")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("Bad data format in input."), "{}", e);
    }
}
