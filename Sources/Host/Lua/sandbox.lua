-- The environment a plugin file runs in, and what it promises.
--
-- A plugin is code the user chose to run, like a Python package: it may read and write files
-- and run commands (io, os.execute). What the sandbox guarantees is that a plugin cannot change
-- what every other script and plugin sees, nor end the process:
--  * its globals are its own, and `_G` is its own environment;
--  * the API tables (tensor, nn, optim, ...) and the standard library tables (string, table,
--    math, os, io, coroutine, utf8, package) are read-only views;
--  * getmetatable on a string or a Descent object returns a read-only view of the shared
--    metatable; `debug` offers only traceback and getinfo (no registry, no upvalues, no hooks);
--  * rawset refuses the views; load, loadfile and dofile compile text only, into the plugin's environment; require
--    serves "descent" and the standard libraries' views;
--  * os.exit raises.
-- Loaded with the list of API names; returns a function that makes one environment.
local api = ...
local rawget, rawset, type, error, setmetatable, getmetatable = rawget, rawset, type, error, setmetatable, getmetatable
local next, tostring, select, load, loadfile = next, tostring, select, load, loadfile

-- Views are deep (a table reached through a view is a view: package.loaded._G, string.x) and
-- made once per table, so the same table always shows as the same view.
local views_of = setmetatable({}, { __mode = "k" })
local is_view = setmetatable({}, { __mode = "k" })
local function readonly(name, t)
  local view = views_of[t]
  if view then return view end
  view = setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if type(v) == "table" then return readonly(name .. "." .. tostring(k), v) end
      return v
    end,
    __newindex = function(_, k)
      error("plugins cannot change " .. name .. "." .. tostring(k) .. " (the API is shared by every script)", 2)
    end,
    __pairs = function()
      return function(_, k)
        local key, v = next(t, k)
        if type(v) == "table" then v = readonly(name .. "." .. tostring(key), v) end
        return key, v
      end, t, nil
    end,
    __len = function() return #t end,
    __metatable = false,
  })
  views_of[t] = view
  is_view[view] = true
  return view
end

local function with(base, overrides)
  return setmetatable(overrides, { __index = base })
end

local library = { "string", "table", "math", "io", "coroutine", "utf8", "package" }
local shared = {
  os = readonly("os", with(os, { exit = function() error("os.exit is not available to plugins", 2) end })),
  debug = readonly("debug", { traceback = debug.traceback, getinfo = debug.getinfo }),
}
for _, name in ipairs(library) do shared[name] = readonly(name, _G[name]) end

-- Shared metatables (strings, Descent userdata) are shown read-only; a plugin's own tables keep
-- theirs, so classes written with setmetatable work as usual.
local function safe_getmetatable(x)
  local mt = getmetatable(x)
  if type(x) == "table" or type(mt) ~= "table" then return mt end
  return readonly("the shared metatable", mt)
end

return function()
  local views = {}
  for k, v in pairs(shared) do views[k] = v end
  for _, name in ipairs(api) do
    if type(_G[name]) == "table" then views[name] = readonly(name, _G[name]) end
  end
  local env = {}
  views._G = env
  views.getmetatable = safe_getmetatable
  -- Views are shared by every plugin: a raw write to one would change it for all.
  views.rawset = function(t, k, v)
    if is_view[t] then error("plugins cannot change the API's tables (rawset on a read-only view)", 2) end
    return rawset(t, k, v)
  end
  views.load = function(chunk, name, mode, ...)
    if select("#", ...) > 0 then return load(chunk, name, "t", (...)) end
    return load(chunk, name, "t", env)
  end
  views.loadfile = function(file, mode, ...)
    if select("#", ...) > 0 then return loadfile(file, "t", (...)) end
    return loadfile(file, "t", env)
  end
  views.dofile = function(file)
    local f, msg = loadfile(file, "t", env)
    if not f then error(msg, 2) end
    return f()
  end
  views.require = function(name)
    if name == "descent" then
      local d = {}
      for _, n in ipairs(api) do d[n] = views[n] or _G[n] end
      return readonly("descent", d)
    end
    local v = shared[name]
    if v then return v end
    error("plugins may require only \"descent\" and the standard libraries, got " .. tostring(name), 2)
  end
  return setmetatable(env, {
    __index = function(_, k)
      local v = views[k]
      if v ~= nil then return v end
      v = _G[k]
      if type(v) == "table" then return readonly(tostring(k), v) end
      return v
    end,
  })
end
