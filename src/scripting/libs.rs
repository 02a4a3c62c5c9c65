//! Lua libraries Redis ships with its Lua, written in Rust: `cjson` (lua-cjson's
//! encode/decode with its sparse-array and nesting rules) and `bit` (LuaBitOp).
//! `cmsgpack` (cmsgpack.rs) and `struct` (lstruct.rs) are registered here too.

use std::cell::Cell;

use mlua::{LightUserData, Lua, Table, Value};

// lua-cjson's per-state settings (one scripting state per server thread).
thread_local! {
    static ENCODE_MAX_DEPTH: Cell<usize> = const { Cell::new(1000) };
    static DECODE_MAX_DEPTH: Cell<usize> = const { Cell::new(1000) };
    static ENCODE_INVALID_NUMBERS: Cell<bool> = const { Cell::new(false) };
}

fn fmt_number(n: f64) -> String {
    if n.is_nan() {
        return "nan".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".into() } else { "-inf".into() };
    }
    crate::util::fmt_g(n, 14)
}

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b if b < 0x20 || b == 0x7f => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Number(n) => {
            if (n.is_nan() || n.is_infinite()) && !ENCODE_INVALID_NUMBERS.with(|c| c.get()) {
                return Err("Cannot serialise number: must not be NaN or Inf".into());
            }
            out.extend_from_slice(fmt_number(*n).as_bytes())
        }
        Value::String(s) => encode_string(out, s.as_bytes()),
        Value::Table(t) => {
            if depth > ENCODE_MAX_DEPTH.with(|c| c.get()) {
                return Err(format!("Cannot serialise, excessive nesting ({})", depth));
            }
            // lua_array_length: all keys positive integers → an array.
            let mut max = 0i64;
            let mut count = 0i64;
            let mut is_array = true;
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, _) = pair.map_err(|e| e.to_string())?;
                let idx = match k {
                    Value::Integer(i) => Some(i as f64),
                    Value::Number(n) => Some(n),
                    _ => None,
                };
                match idx {
                    Some(n) if n >= 1.0 && n.floor() == n => {
                        max = max.max(n as i64);
                        count += 1;
                    }
                    _ => {
                        is_array = false;
                        break;
                    }
                }
            }
            if is_array && max > count * 2 && max > 10 {
                return Err("Cannot serialise table: excessively sparse array".into());
            }
            if is_array && count > 0 {
                out.push(b'[');
                for i in 1..=max {
                    if i > 1 {
                        out.push(b',');
                    }
                    let v: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                    encode(out, &v, depth + 1)?;
                }
                out.push(b']');
            } else {
                out.push(b'{');
                let mut first = true;
                for pair in t.clone().pairs::<Value, Value>() {
                    let (k, v) = pair.map_err(|e| e.to_string())?;
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    match &k {
                        Value::String(s) => encode_string(out, s.as_bytes()),
                        Value::Integer(n) => encode_string(out, n.to_string().as_bytes()),
                        Value::Number(n) => encode_string(out, fmt_number(*n).as_bytes()),
                        _ => {
                            return Err(
                                "Cannot serialise table: table key must be a number or string"
                                    .into(),
                            )
                        }
                    }
                    out.push(b':');
                    encode(out, &v, depth + 1)?;
                }
                out.push(b'}');
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            ))
        }
    }
    Ok(())
}

struct Parser<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.p < self.b.len() && matches!(self.b[self.p], b' ' | b'\t' | b'\n' | b'\r') {
            self.p += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!(
            "Expected {} but found invalid token at character {}",
            what,
            self.p + 1
        ))
    }
    fn value<'l>(&mut self, lua: &'l Lua, depth: usize) -> Result<Value<'l>, String> {
        if depth > DECODE_MAX_DEPTH.with(|c| c.get()) {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                depth,
                self.p + 1
            ));
        }
        self.ws();
        let Some(&c) = self.b.get(self.p) else {
            return self.err("value");
        };
        let le = |e: mlua::Error| e.to_string();
        match c {
            b'{' => {
                self.p += 1;
                let t = lua.create_table().map_err(le)?;
                self.ws();
                if self.b.get(self.p) == Some(&b'}') {
                    self.p += 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.ws();
                    if self.b.get(self.p) != Some(&b'"') {
                        return self.err("object key string");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.p) != Some(&b':') {
                        return self.err("colon");
                    }
                    self.p += 1;
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(lua.create_string(&k).map_err(le)?, v)
                        .map_err(le)?;
                    self.ws();
                    match self.b.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b'}') => {
                            self.p += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return self.err("comma or object end"),
                    }
                }
            }
            b'[' => {
                self.p += 1;
                let t = lua.create_table().map_err(le)?;
                self.ws();
                if self.b.get(self.p) == Some(&b']') {
                    self.p += 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(i, v).map_err(le)?;
                    i += 1;
                    self.ws();
                    match self.b.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b']') => {
                            self.p += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return self.err("comma or array end"),
                    }
                }
            }
            b'"' => {
                let s = self.string()?;
                Ok(Value::String(lua.create_string(&s).map_err(le)?))
            }
            b't' if self.b[self.p..].starts_with(b"true") => {
                self.p += 4;
                Ok(Value::Boolean(true))
            }
            b'f' if self.b[self.p..].starts_with(b"false") => {
                self.p += 5;
                Ok(Value::Boolean(false))
            }
            b'n' if self.b[self.p..].starts_with(b"null") => {
                self.p += 4;
                Ok(Value::LightUserData(LightUserData(std::ptr::null_mut())))
            }
            b'-' | b'0'..=b'9' => {
                let start = self.p;
                while self.p < self.b.len()
                    && matches!(
                        self.b[self.p],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.p += 1;
                }
                let txt = std::str::from_utf8(&self.b[start..self.p]).unwrap_or("");
                match txt.parse::<f64>() {
                    Ok(n) => Ok(Value::Number(n)),
                    Err(_) => {
                        self.p = start;
                        self.err("value")
                    }
                }
            }
            _ => self.err("value"),
        }
    }
    fn string(&mut self) -> Result<Vec<u8>, String> {
        let start = self.p;
        self.p += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.p) else {
                self.p = start;
                return self.err("string end");
            };
            self.p += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.b.get(self.p) else {
                        return self.err("escape");
                    };
                    self.p += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.p..self.p + 4)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            let Some(cp) = hex.and_then(|h| u32::from_str_radix(h, 16).ok()) else {
                                return self.err("unicode escape");
                            };
                            self.p += 4;
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
    }
}

fn err_value(lua: &Lua, msg: String) -> mlua::Error {
    let _ = lua;
    mlua::Error::RuntimeError(msg)
}

/// Registers `cjson`, `bit`, `cmsgpack` and `struct` as globals (before the sandbox protects them).
pub fn register(lua: &Lua) -> mlua::Result<()> {
    ENCODE_MAX_DEPTH.with(|c| c.set(1000));
    DECODE_MAX_DEPTH.with(|c| c.set(1000));
    ENCODE_INVALID_NUMBERS.with(|c| c.set(false));
    let g = lua.globals();
    let cjson = lua.create_table()?;
    cjson.set(
        "encode",
        lua.create_function(|lua, v: Value| {
            let mut out = Vec::new();
            encode(&mut out, &v, 1).map_err(|e| err_value(lua, e))?;
            lua.create_string(&out)
        })?,
    )?;
    cjson.set(
        "decode",
        lua.create_function(|lua, s: mlua::String| {
            let mut p = Parser {
                b: s.as_bytes(),
                p: 0,
            };
            let v = p.value(lua, 1).map_err(|e| err_value(lua, e))?;
            p.ws();
            if p.p != p.b.len() {
                return Err(err_value(
                    lua,
                    format!(
                        "Expected the end but found invalid token at character {}",
                        p.p + 1
                    ),
                ));
            }
            Ok(v)
        })?,
    )?;
    // The buffer is a lua-cjson allocation detail: nothing to keep here.
    cjson.set(
        "encode_keep_buffer",
        lua.create_function(|_, v: Option<bool>| Ok(v.unwrap_or(true)))?,
    )?;
    cjson.set(
        "encode_max_depth",
        lua.create_function(|_, v: Option<usize>| {
            if let Some(v) = v {
                ENCODE_MAX_DEPTH.with(|c| c.set(v));
            }
            Ok(ENCODE_MAX_DEPTH.with(|c| c.get()))
        })?,
    )?;
    cjson.set(
        "decode_max_depth",
        lua.create_function(|_, v: Option<usize>| {
            if let Some(v) = v {
                DECODE_MAX_DEPTH.with(|c| c.set(v));
            }
            Ok(DECODE_MAX_DEPTH.with(|c| c.get()))
        })?,
    )?;
    cjson.set(
        "encode_invalid_numbers",
        lua.create_function(|_, v: Option<bool>| {
            if let Some(v) = v {
                ENCODE_INVALID_NUMBERS.with(|c| c.set(v));
            }
            Ok(ENCODE_INVALID_NUMBERS.with(|c| c.get()))
        })?,
    )?;
    cjson.set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    g.set("cjson", cjson)?;
    g.set("bit", bit_table(lua)?)?;
    g.set("cmsgpack", super::cmsgpack::create(lua)?)?;
    g.set("struct", super::lstruct::create(lua)?)?;
    Ok(())
}

/// LuaBitOp: 32-bit operations on numbers normalised like bit.tobit.
fn bit_table(lua: &Lua) -> mlua::Result<Table> {
    fn tobit(v: f64) -> i32 {
        // LuaBitOp's normalisation: add 2^52+2^51 and take the low 32 bits.
        let t = v + 6755399441055744.0;
        t.to_bits() as u32 as i32
    }
    let t = lua.create_table()?;
    t.set("tobit", lua.create_function(|_, v: f64| Ok(tobit(v)))?)?;
    t.set("bnot", lua.create_function(|_, v: f64| Ok(!tobit(v)))?)?;
    t.set(
        "band",
        lua.create_function(|_, vs: mlua::Variadic<f64>| {
            Ok(vs.iter().fold(-1i32, |a, &v| a & tobit(v)))
        })?,
    )?;
    t.set(
        "bor",
        lua.create_function(|_, vs: mlua::Variadic<f64>| {
            Ok(vs.iter().fold(0i32, |a, &v| a | tobit(v)))
        })?,
    )?;
    t.set(
        "bxor",
        lua.create_function(|_, vs: mlua::Variadic<f64>| {
            Ok(vs.iter().fold(0i32, |a, &v| a ^ tobit(v)))
        })?,
    )?;
    t.set(
        "lshift",
        lua.create_function(|_, (v, n): (f64, f64)| {
            Ok(((tobit(v) as u32) << (tobit(n) as u32 & 31)) as i32)
        })?,
    )?;
    t.set(
        "rshift",
        lua.create_function(|_, (v, n): (f64, f64)| {
            Ok(((tobit(v) as u32) >> (tobit(n) as u32 & 31)) as i32)
        })?,
    )?;
    t.set(
        "arshift",
        lua.create_function(|_, (v, n): (f64, f64)| Ok(tobit(v) >> (tobit(n) as u32 & 31)))?,
    )?;
    t.set(
        "rol",
        lua.create_function(|_, (v, n): (f64, f64)| {
            Ok((tobit(v) as u32).rotate_left(tobit(n) as u32 & 31) as i32)
        })?,
    )?;
    t.set(
        "ror",
        lua.create_function(|_, (v, n): (f64, f64)| {
            Ok((tobit(v) as u32).rotate_right(tobit(n) as u32 & 31) as i32)
        })?,
    )?;
    t.set(
        "bswap",
        lua.create_function(|_, v: f64| Ok((tobit(v) as u32).swap_bytes() as i32))?,
    )?;
    t.set(
        "tohex",
        lua.create_function(|_, (v, n): (f64, Option<f64>)| {
            let mut n = n.map(tobit).unwrap_or(8);
            let upper = n < 0;
            if upper {
                n = -n;
            }
            let n = n.clamp(1, 8) as usize;
            let x = tobit(v) as u32;
            let s = if upper {
                format!("{:08X}", x)
            } else {
                format!("{:08x}", x)
            };
            Ok(s[8 - n..].to_string())
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjson_roundtrip_and_bit() {
        let lua = Lua::new();
        register(&lua).unwrap();
        let s: String = lua
            .load(r#"return cjson.encode({1,2,"a/b"}) .. cjson.encode({x=true})"#)
            .eval()
            .unwrap();
        assert_eq!(s, r#"[1,2,"a\/b"]{"x":true}"#);
        let n: f64 = lua
            .load(r#"return cjson.decode('{"a":[1,2.5]}').a[2]"#)
            .eval()
            .unwrap();
        assert_eq!(n, 2.5);
        let h: String = lua
            .load("return bit.tohex(bit.band(0xff, 0x0f))")
            .eval()
            .unwrap();
        assert_eq!(h, "0000000f");
    }
}
