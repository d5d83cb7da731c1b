-- `repl([vars])` for scripts: a REPL whose scope is the caller's local variables plus `vars`,
-- falling back to the globals; assignments to those names change the REPL's copies, other
-- assignments go to the globals. Loaded with the Swift REPL opener; returns `repl`.
local open = ...
return function(vars)
  if vars ~= nil and type(vars) ~= "table" then error("bad argument #1 to 'repl' (table of variables expected, got " .. type(vars) .. ")", 2) end
  local scope = {}
  local i = 1
  while true do
    local name, value = debug.getlocal(2, i)
    if not name then break end
    if not name:match("^%(") then scope[name] = value end
    i = i + 1
  end
  for k, v in pairs(vars or {}) do scope[k] = v end
  local env = setmetatable({}, {
    __index = function(_, k) local v = scope[k]; if v == nil then return _G[k] end; return v end,
    __newindex = function(_, k, v) if scope[k] ~= nil then scope[k] = v else _G[k] = v end end,
    __scope = scope,
  })
  return open(env)
end
