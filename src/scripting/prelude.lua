-- Sandbox setup for the scripting Lua state, run once at start (see mod.rs).
-- Stock Lua 5.1 has no read-only tables (Redis patches its Lua for them), so
-- each protected table is emptied into a hidden backing table and given a
-- metatable: reads fall through to the backing, writes raise Redis's error.
-- Arguments: the registry-held context table the Rust side fills per run.
local ctx = ...
local rawget, rawset, error, type, next, tostring = rawget, rawset, error, type, next, tostring
local orig_setmetatable, orig_getmetatable = setmetatable, getmetatable
local readonly = orig_setmetatable({}, {__mode = 'k'})

local function ro_newindex()
  error("Attempt to modify a readonly table", 2)
end

-- Builds the metatable a protected table carries; the metatable itself is
-- protected so getmetatable(t).__index = ... fails the same way.
local function protect(t, index_miss)
  local backing = {}
  for k, v in next, t do backing[k] = v end
  for k in next, backing do rawset(t, k, nil) end
  if index_miss then orig_setmetatable(backing, {__index = index_miss}) end
  local visible = {}
  local mt = {__index = backing, __newindex = ro_newindex, __metatable = visible}
  orig_setmetatable(visible, {__index = mt, __newindex = ro_newindex, __metatable = false})
  readonly[visible] = true
  orig_setmetatable(t, mt)
  readonly[t] = true
  return backing, mt
end

-- Redis's Lua has no binary chunk loader: precompiled bytecode can break
-- out of the sandbox, so it is refused as the text parser would refuse it.
local orig_loadstring, sub = loadstring, string.sub
loadstring = function(s, name)
  if type(s) == 'string' and sub(s, 1, 1) == '\27' then
    return nil, "[string \"" .. tostring(name or '?') .. "\"]:1: unexpected symbol near '<\\27>'"
  end
  return orig_loadstring(s, name)
end

-- Globals Redis does not offer.
loadfile = nil
dofile = nil
print = nil

_G.setmetatable = function(t, m)
  if readonly[t] then error("Attempt to modify a readonly table", 0) end
  return orig_setmetatable(t, m)
end
_G.rawset = function(t, k, v)
  if readonly[t] then error("Attempt to modify a readonly table", 0) end
  return rawset(t, k, v)
end

-- pcall hands a redis.call error to Lua code as Redis's {err=...} table.
local orig_pcall, to_err_table = pcall, ctx.to_err_table
ctx.to_err_table = nil
local function fix(ok, ...)
  if ok then return ok, ... end
  return ok, to_err_table((...))
end
_G.pcall = function(f, ...)
  return fix(orig_pcall(f, ...))
end

for _, name in next, {'string', 'table', 'math', 'coroutine', 'redis', 'cjson', 'bit', 'struct', 'cmsgpack'} do
  local lib = rawget(_G, name)
  if type(lib) == 'table' then protect(lib) end
end

ctx.globals, ctx.global_mt = protect(_G, function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end)
ctx.readonly = readonly
