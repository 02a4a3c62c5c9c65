//! The `struct` Lua library Redis ships (Roberto Ierusalimschy's lua_struct
//! as patched by Redis): pack, unpack and size of binary records described
//! by a format string — endianness ('<' '>'), alignment ('!n'), integers of
//! 1..32 bytes with C `long` arithmetic, floats, fixed and counted strings
//! ('cn', 'c0') and zero-terminated ones ('s'). The numeric conversions
//! follow the C library on x86-64 Linux (the platform Redis's answers were
//! compared on). Registered as a global by libs.rs.

use mlua::{Lua, MultiValue, Table, Value};

use super::lauxlib;

const MAXINTSIZE: usize = 32;
/// The alignment of a double in a struct (x86-64): '!' without a number.
const MAXALIGN: usize = 8;
/// Results one unpack may return; see cmsgpack.rs's MAX_RESULTS.
const MAX_RESULTS: usize = 7000;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Self {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// The format string as C sees it: up to the first NUL.
fn format_bytes(b: Vec<u8>) -> Vec<u8> {
    match b.iter().position(|&c| c == 0) {
        Some(i) => b[..i].to_vec(),
        None => b,
    }
}

/// getnum: an optional decimal number at fmt[*i].
fn getnum(lua: &Lua, fmt: &[u8], i: &mut usize, df: usize) -> mlua::Result<usize> {
    if *i >= fmt.len() || !fmt[*i].is_ascii_digit() {
        return Ok(df);
    }
    let mut a: i64 = 0;
    while *i < fmt.len() && fmt[*i].is_ascii_digit() {
        let d = (fmt[*i] - b'0') as i64;
        if a > (i32::MAX as i64) / 10 || a * 10 > i32::MAX as i64 - d {
            return Err(lauxlib::error(lua, 0, "integral size overflow"));
        }
        a = a * 10 + d;
        *i += 1;
    }
    Ok(a as usize)
}

fn optsize(lua: &Lua, opt: u8, fmt: &[u8], i: &mut usize) -> mlua::Result<usize> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' => 8,
        b'f' => 4,
        b'd' => 8,
        b'x' => 1,
        b'c' => getnum(lua, fmt, i, 1)?,
        b'i' | b'I' => {
            let sz = getnum(lua, fmt, i, 4)?;
            if sz > MAXINTSIZE {
                return Err(lauxlib::error(
                    lua,
                    0,
                    &format!(
                        "integral size {} is larger than limit of {}",
                        sz as i32, MAXINTSIZE
                    ),
                ));
            }
            sz
        }
        _ => 0,
    })
}

fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

fn controloptions(
    lua: &Lua,
    opt: u8,
    fmt: &[u8],
    i: &mut usize,
    h: &mut Header,
) -> mlua::Result<()> {
    match opt {
        b' ' => Ok(()),
        b'>' => {
            h.endian = Endian::Big;
            Ok(())
        }
        b'<' => {
            h.endian = Endian::Little;
            Ok(())
        }
        b'!' => {
            let a = getnum(lua, fmt, i, MAXALIGN)?;
            if a == 0 || a & (a - 1) != 0 {
                return Err(lauxlib::error(
                    lua,
                    0,
                    &format!("alignment {} is not a power of 2", a as i32),
                ));
            }
            h.align = a;
            Ok(())
        }
        _ => Err(lauxlib::arg_error(
            lua,
            0,
            1,
            &format!("invalid format option '{}'", opt as char),
        )),
    }
}

/// C's (unsigned long) of a double as x86-64 code computes it.
fn to_ulong(n: f64) -> u64 {
    if n < 0.0 || n.is_nan() {
        lauxlib::number_to_integer(n) as u64
    } else if n < 9223372036854775808.0 {
        n as u64
    } else if n < 18446744073709551616.0 {
        n as u64
    } else {
        0
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, endian: Endian, size: usize) {
    let mut value = to_ulong(n);
    let mut buf = vec![0u8; size];
    for k in 0..size {
        let idx = if endian == Endian::Little {
            k
        } else {
            size - 1 - k
        };
        buf[idx] = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
    }
    out.extend_from_slice(&buf);
}

fn get_integer(b: &[u8], endian: Endian, signed: bool) -> f64 {
    let size = b.len();
    let mut l: u64 = 0;
    for k in 0..size {
        let byte = if endian == Endian::Big {
            b[k]
        } else {
            b[size - 1 - k]
        };
        l = (l << 8) | byte as u64;
    }
    if !signed {
        return l as f64;
    }
    // x86 masks a 64-bit shift count to 6 bits, which the C code relies on
    // for sizes above 8.
    let mask = u64::MAX << ((size * 8 - 1) & 63);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<Vec<u8>> {
    // b_pack pushes a nil after its arguments: one missing argument reads
    // as that nil.
    let mut v = args.into_vec();
    v.push(Value::Nil);
    let args = &MultiValue::from_vec(v);
    let fmt = format_bytes(lauxlib::check_bytes(lua, 0, args, 1)?);
    let mut h = Header::new();
    let mut arg = 2;
    let mut total: usize = 0;
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(lua, opt, &fmt, &mut i)?;
        let toalign = gettoalign(total, &h, opt, size);
        total += toalign;
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = lauxlib::check_number(lua, 0, args, arg)?;
                arg += 1;
                put_integer(&mut out, n, h.endian, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = lauxlib::check_number(lua, 0, args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.endian == Endian::Big {
                    f.to_be_bytes()
                } else {
                    f.to_le_bytes()
                });
            }
            b'd' => {
                let d = lauxlib::check_number(lua, 0, args, arg)?;
                arg += 1;
                out.extend_from_slice(&if h.endian == Endian::Big {
                    d.to_be_bytes()
                } else {
                    d.to_le_bytes()
                });
            }
            b'c' | b's' => {
                let s = lauxlib::check_bytes(lua, 0, args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // The C code names the argument after the string.
                    return Err(lauxlib::arg_error(lua, 0, arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => controloptions(lua, opt, &fmt, &mut i, &mut h)?,
        }
        total += size;
    }
    Ok(out)
}

fn unpack<'l>(lua: &'l Lua, args: &MultiValue<'l>) -> mlua::Result<MultiValue<'l>> {
    let fmt = format_bytes(lauxlib::check_bytes(lua, 0, args, 1)?);
    let data = lauxlib::check_bytes(lua, 0, args, 2)?;
    let ld = data.len();
    let mut pos = lauxlib::opt_integer(lua, 0, args, 3, 1)? as usize;
    if pos == 0 {
        return Err(lauxlib::arg_error(lua, 0, 3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let too_short = || lauxlib::arg_error(lua, 0, 2, "data string too short");
    let mut h = Header::new();
    let mut out: Vec<Value> = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(lua, opt, &fmt, &mut i)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if !(size <= ld && pos <= ld - size) {
            return Err(too_short());
        }
        if out.len() >= MAX_RESULTS {
            return Err(lauxlib::error(lua, 0, "stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let v = get_integer(&data[pos..pos + size], h.endian, signed);
                out.push(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap();
                let f = if h.endian == Endian::Big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                };
                out.push(Value::Number(f as f64));
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap();
                let d = if h.endian == Endian::Big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                out.push(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last().and_then(|v| lauxlib::to_number(lua, Some(v)));
                    let Some(n) = prev else {
                        return Err(lauxlib::error(lua, 0, "format 'c0' needs a previous size"));
                    };
                    size = to_ulong(n) as usize;
                    out.pop();
                    if !(size <= ld && pos <= ld - size) {
                        return Err(too_short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(lauxlib::error(lua, 0, "unfinished string in data"));
                };
                size = e + 1;
                out.push(Value::String(lua.create_string(&data[pos..pos + e])?));
            }
            _ => controloptions(lua, opt, &fmt, &mut i, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(MultiValue::from_vec(out))
}

fn size(lua: &Lua, args: &MultiValue) -> mlua::Result<f64> {
    let fmt = format_bytes(lauxlib::check_bytes(lua, 0, args, 1)?);
    let mut h = Header::new();
    let mut pos: usize = 0;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let size = optsize(lua, opt, &fmt, &mut i)?;
        pos += gettoalign(pos, &h, opt, size);
        if opt == b's' {
            return Err(lauxlib::arg_error(
                lua,
                0,
                1,
                "option 's' has no fixed size",
            ));
        } else if opt == b'c' && size == 0 {
            return Err(lauxlib::arg_error(
                lua,
                0,
                1,
                "option 'c0' has no fixed size",
            ));
        }
        if !opt.is_ascii_alphanumeric() {
            controloptions(lua, opt, &fmt, &mut i, &mut h)?;
        }
        pos += size;
    }
    Ok(pos as i64 as f64)
}

/// Builds the `struct` table.
pub fn create(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| lua.create_string(pack(lua, args)?))?,
    )?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| unpack(lua, &args))?,
    )?;
    t.set(
        "size",
        lua.create_function(|lua, args: MultiValue| size(lua, &args))?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Lua {
        let lua = Lua::new();
        lua.globals().set("struct", create(&lua).unwrap()).unwrap();
        lua
    }

    fn hex(lua: &Lua, code: &str) -> String {
        let s: mlua::String = lua.load(code).eval().unwrap();
        s.as_bytes().iter().map(|b| format!("{:02x}", b)).collect()
    }

    #[test]
    fn vectors_from_redis() {
        // Outputs of Redis 7.0.15's struct.pack for the same inputs.
        let lua = state();
        assert_eq!(hex(&lua, "return struct.pack('>I2', 258)"), "0102");
        assert_eq!(hex(&lua, "return struct.pack('<i4', -2)"), "feffffff");
        assert_eq!(
            hex(&lua, "return struct.pack('!4 b i4', 1, 2)"),
            "0100000002000000"
        );
        assert_eq!(
            hex(&lua, "return struct.pack('>d', 1.5)"),
            "3ff8000000000000"
        );
        assert_eq!(
            hex(&lua, "return struct.pack('sc2', 'ab', 'xyz')"),
            "6162007879"
        );
    }

    #[test]
    fn unpack_and_size() {
        let lua = state();
        let ok: bool = lua
            .load(
                r#"
                local a, b, c, nxt = struct.unpack('>h I3 s', struct.pack('>h I3 s', -5, 70000, 'hey'))
                assert(a == -5 and b == 70000 and c == 'hey' and nxt == 10)
                local s, n2 = struct.unpack('b c0', struct.pack('b', 3) .. 'abcd')
                assert(s == 'abc' and n2 == 5)
                assert(struct.size('!8 b d') == 16)
                return true"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
        let e = lua
            .load("return struct.unpack('i4', 'ab')")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("data string too short"), "{}", e);
        let e = lua
            .load("return struct.size('s')")
            .eval::<Value>()
            .unwrap_err();
        assert!(
            e.to_string().contains("option 's' has no fixed size"),
            "{}",
            e
        );
    }
}
