-- The REPL's Lua side: the value printer (nested tables sorted, cycle-safe, depth- and
-- size-limited; Descent objects through the Swift `describe`; numeric arrays with a sparkline)
-- and tab completion (globals, fields, methods after `.` and `:`). Loaded with
-- (describe, color, env); returns {show = ..., complete = ..., spark = ...}.
local describe, color, env = ...
local C = color and { num = "\27[36m", str = "\27[32m", key = "\27[33m", dim = "\27[2m", off = "\27[0m" }
                 or { num = "", str = "", key = "", dim = "", off = "" }
local MAX_ITEMS, MAX_DEPTH, MAX_STRING = 40, 3, 2000
local bars = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }

local function spark(t, width)
  width = width or 60
  local n = #t
  if n == 0 then return "" end
  local lo, hi = math.huge, -math.huge
  for i = 1, n do
    local v = t[i]
    if type(v) ~= "number" then return nil end
    if v == v and v > -math.huge and v < math.huge then lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  local out = {}
  local step = math.max(1, n / width)
  local i = 1
  while i <= n do
    local v = t[math.floor(i)]
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "!"
    elseif hi == lo then out[#out + 1] = bars[4]
    else out[#out + 1] = bars[math.floor((v - lo) / (hi - lo) * 7 + 1.5)] end
    i = i + step
  end
  return table.concat(out), lo, hi
end

local function is_ident(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil end

local function scalar(v)
  local t = type(v)
  if t == "string" then
    local s = v
    local note = ""
    if #s > MAX_STRING then s, note = s:sub(1, MAX_STRING), C.dim .. "… (" .. #v .. " bytes)" .. C.off end
    return C.str .. string.format("%q", s):gsub("\\\n", "\\n") .. C.off .. note
  elseif t == "number" then
    return C.num .. (math.type(v) == "integer" and tostring(v) or string.format("%.14g", v)) .. C.off
  elseif t == "userdata" then
    local d = describe(v)
    if d then return d end
  end
  return C.dim .. tostring(v) .. C.off
end

local function key_text(k)
  if is_ident(k) then return C.key .. k .. C.off end
  return "[" .. scalar(k) .. "]"
end

local function show(v, indent, depth, seen)
  if type(v) ~= "table" or (getmetatable(v) and getmetatable(v).__tostring) then
    if type(v) == "table" then return tostring(v) end
    return scalar(v)
  end
  if seen[v] then return C.dim .. "<cycle: " .. tostring(v) .. ">" .. C.off end
  if depth >= MAX_DEPTH then return C.dim .. "{...}" .. C.off end
  seen[v] = true
  local n = #v
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  if n == 0 and #keys == 0 then seen[v] = nil; return "{}" end
  local pad = string.rep("  ", indent + 1)
  local items, count = {}, 0
  for i = 1, n do
    count = count + 1
    if count > MAX_ITEMS then break end
    items[#items + 1] = pad .. show(v[i], indent + 1, depth + 1, seen)
  end
  for _, k in ipairs(keys) do
    count = count + 1
    if count > MAX_ITEMS then break end
    items[#items + 1] = pad .. key_text(k) .. " = " .. show(v[k], indent + 1, depth + 1, seen)
  end
  if count > MAX_ITEMS then items[#items + 1] = pad .. C.dim .. "... (" .. (n + #keys) .. " entries)" .. C.off end
  seen[v] = nil
  local text = "{\n" .. table.concat(items, ",\n") .. "\n" .. string.rep("  ", indent) .. "}"
  if n >= 8 and #keys == 0 then
    local s, lo, hi = spark(v)
    if s then text = text .. "\n" .. string.rep("  ", indent) .. C.dim .. string.format("%s  (%d values, %.4g .. %.4g)", s, n, lo, hi) .. C.off end
  end
  return text
end

-- Completion -------------------------------------------------------------------------
local keywords = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
                   "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }

local function fields(obj, methods_only)
  local out = {}
  local function add_table(t)
    if type(t) ~= "table" then return end
    for k, val in pairs(t) do
      if type(k) == "string" and (not methods_only or type(val) == "function") then out[k] = true end
    end
  end
  local mt = getmetatable(obj)
  if type(obj) == "table" then add_table(obj) end
  if type(mt) == "table" then
    if type(mt.__index) == "table" then add_table(mt.__index) end
    if type(obj) == "userdata" and type(mt.__name) == "string" then
      add_table(debug.getregistry()[mt.__name .. ".methods"])
      if not methods_only then
        if mt.__name == "descent.Optimizer" or mt.__name == "descent.Schedule" then out.name, out.hyper = true, true end
        if mt.__name == "descent.Module" then out.modules, out.weight, out.bias, out.training = true, true, true, true end
      end
    end
  end
  if type(obj) == "string" then add_table(string) end
  return out
end

local function resolve(path)
  local obj = env
  for name in path:gmatch("[^%.:]+") do
    local ok, v = pcall(function() return obj[name] end)
    if not ok or v == nil then return nil end
    obj = v
  end
  return obj
end

local function complete(line, cursor)
  local before = line:sub(1, cursor)
  local word = before:match("[%w_%.:]*$") or ""
  local path, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
  local names, prefix = {}, ""
  if path then
    local obj = resolve(path)
    if obj == nil then return {} end
    names, prefix = fields(obj, sep == ":"), path .. sep
  else
    partial = word
    for k in pairs(fields(env)) do names[k] = true end
    for _, k in ipairs(keywords) do names[k] = true end
  end
  local out = {}
  for k in pairs(names) do
    if k:sub(1, #partial) == partial and not k:match("^__") then out[#out + 1] = prefix .. k end
  end
  table.sort(out)
  return out
end

return { show = function(v) return show(v, 0, 0, {}) end, complete = complete, spark = spark }
