-- The environment a plugin file runs in. Reads fall back to the globals, but the API tables
-- are read-only views (a plugin cannot replace tensor.zeros or nn.Linear for every script)
-- and os.exit raises (a plugin cannot end the process, at load time or later). Globals the
-- plugin defines stay its own. Loaded with the list of API names; returns a function that
-- makes one environment.
local api = ...

local function readonly(name, t)
  return setmetatable({}, {
    __index = t,
    __newindex = function(_, k)
      error("plugins cannot change " .. name .. "." .. tostring(k) .. " (the API is shared by every script)", 2)
    end,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
end

local safe_os = readonly("os", setmetatable({
  exit = function() error("os.exit is not available to plugins", 2) end,
}, { __index = os }))

return function()
  local views = { os = safe_os }
  for _, name in ipairs(api) do
    if type(_G[name]) == "table" then views[name] = readonly(name, _G[name]) end
  end
  return setmetatable({}, {
    __index = function(_, k)
      local v = views[k]
      if v ~= nil then return v end
      return _G[k]
    end,
  })
end
