//! The few lauxlib conventions the Rust-written Lua libraries (cmsgpack,
//! struct) need so their errors read exactly as Redis's C libraries do:
//! luaL_error's "chunk:line: " prefix, luaL_argerror's "bad argument #n to
//! 'f' (...)" with the name Lua's debug info gives the running function,
//! and the luaL_check*/opt* argument coercions.
//!
//! `level` is the stack level of the function the script called: 0 when
//! that is the Rust callback itself, 1 when a Lua wrapper called it.

use mlua::{Lua, MultiValue, Value};

/// luaL_where(L, 1) + message: the calling Lua frame's "short_src:line: ".
pub fn error(lua: &Lua, level: usize, msg: &str) -> mlua::Error {
    let mut out = String::new();
    if let Some(d) = lua.inspect_stack(level + 1) {
        let line = d.curr_line();
        if line > 0 {
            let src = d.source();
            out.push_str(src.short_src.as_deref().unwrap_or("?"));
            out.push_str(&format!(":{}: ", line));
        }
    }
    out.push_str(msg);
    mlua::Error::RuntimeError(out)
}

/// luaL_argerror: names the running function as the caller's code named it.
pub fn arg_error(lua: &Lua, level: usize, mut narg: usize, extramsg: &str) -> mlua::Error {
    let (name, what) = match lua.inspect_stack(level) {
        Some(d) => {
            let n = d.names();
            (n.name.map(|s| s.into_owned()), n.name_what)
        }
        None => {
            return error(
                lua,
                level,
                &format!("bad argument #{} ({})", narg, extramsg),
            )
        }
    };
    if what == Some("method") {
        if narg == 1 {
            return error(
                lua,
                level,
                &format!(
                    "calling '{}' on bad self ({})",
                    name.as_deref().unwrap_or("?"),
                    extramsg
                ),
            );
        }
        narg -= 1;
    }
    error(
        lua,
        level,
        &format!(
            "bad argument #{} to '{}' ({})",
            narg,
            name.as_deref().unwrap_or("?"),
            extramsg
        ),
    )
}

/// Lua's type name of an argument (lua_typename, "no value" when absent).
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_)) | Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(Value::LightUserData(_)) | Some(Value::UserData(_)) => "userdata",
        Some(_) => "userdata",
    }
}

/// luaL_typerror.
pub fn type_error(
    lua: &Lua,
    level: usize,
    narg: usize,
    expected: &str,
    got: Option<&Value>,
) -> mlua::Error {
    arg_error(
        lua,
        level,
        narg,
        &format!("{} expected, got {}", expected, type_name(got)),
    )
}

/// Argument `narg` (1-based) of a call.
pub fn arg<'a, 'l>(args: &'a MultiValue<'l>, narg: usize) -> Option<&'a Value<'l>> {
    args.iter().nth(narg - 1)
}

/// luaL_checklstring: strings, and numbers in Lua's "%.14g" form.
pub fn check_bytes(
    lua: &Lua,
    level: usize,
    args: &MultiValue,
    narg: usize,
) -> mlua::Result<Vec<u8>> {
    let v = arg(args, narg);
    match v {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(number_to_string(*n).into_bytes()),
        _ => Err(type_error(lua, level, narg, "string", v)),
    }
}

/// lua_tonumber: numbers, and strings Lua's lexer reads as numbers.
pub fn to_number(lua: &Lua, v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Integer(n)) => Some(*n as f64),
        Some(Value::Number(n)) => Some(*n),
        Some(v @ Value::String(_)) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

/// luaL_checknumber.
pub fn check_number(lua: &Lua, level: usize, args: &MultiValue, narg: usize) -> mlua::Result<f64> {
    let v = arg(args, narg);
    to_number(lua, v).ok_or_else(|| type_error(lua, level, narg, "number", v))
}

/// luaL_checkinteger: lua_Integer is a C cast (truncation) of the number.
pub fn check_integer(lua: &Lua, level: usize, args: &MultiValue, narg: usize) -> mlua::Result<i64> {
    check_number(lua, level, args, narg).map(number_to_integer)
}

/// luaL_optinteger: absent or nil arguments take the default.
pub fn opt_integer(
    lua: &Lua,
    level: usize,
    args: &MultiValue,
    narg: usize,
    def: i64,
) -> mlua::Result<i64> {
    match arg(args, narg) {
        None | Some(Value::Nil) => Ok(def),
        _ => check_integer(lua, level, args, narg),
    }
}

/// The (lua_Integer) cast of x86-64 C: truncation, out of range gives i64::MIN.
pub fn number_to_integer(n: f64) -> i64 {
    if n.is_nan() || n >= 9223372036854775808.0 || n < -9223372036854775808.0 {
        i64::MIN
    } else {
        n as i64
    }
}

/// LUA_NUMBER_FMT ("%.14g"), as tostring() and string coercion print numbers.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.into();
    }
    crate::util::fmt_g(n, 14)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_cast_and_number_format() {
        assert_eq!(number_to_integer(-1.9), -1);
        assert_eq!(number_to_integer(1e300), i64::MIN);
        assert_eq!(number_to_string(0.1), "0.1");
        assert_eq!(number_to_string(1e15), "1e+15");
    }
}
