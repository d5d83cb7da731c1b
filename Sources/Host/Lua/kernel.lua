-- optim.kernel's symbolic side: runs a kernel body once on symbolic values and hands the
-- expression graph to Swift's compiler (KernelBindings.swift). It runs once per kernel, so
-- clarity beats speed. Called with the Swift compiler; returns `optim.kernel`.
local compile = ...
local Sym = {}
local methods = {}
local unary = {"sqrt", "abs", "sign", "exp", "log", "square"}
local function fail(msg) error("optim.kernel: " .. msg, 3) end

local function new_builder()
  return {nodes = {}, memo = {}}
end
local function add_node(b, kind, x, y)
  local key = kind .. ":" .. tostring(x) .. ":" .. tostring(y)
  local id = b.memo[key]
  if not id then
    b.nodes[#b.nodes + 1] = {kind, x, y}
    id = #b.nodes
    b.memo[key] = id
  end
  return setmetatable({b = b, id = id}, Sym)
end
local function lift(b, v, what)
  if getmetatable(v) == Sym then
    if v.b ~= b then fail("an expression from another kernel was used") end
    return v.id
  end
  if math.type(v) == nil then
    fail(what .. ": kernel expressions combine symbols and numbers, got " .. type(v))
  end
  return add_node(b, "const", v + 0.0).id
end
local function binary(op)
  return function(x, y)
    local b = getmetatable(x) == Sym and x.b or y.b
    return add_node(b, op, lift(b, x, op), lift(b, y, op))
  end
end
Sym.__add, Sym.__sub, Sym.__mul = binary("add"), binary("sub"), binary("mul")
Sym.__div, Sym.__pow = binary("div"), binary("pow")
Sym.__unm = function(x) return add_node(x.b, "neg", x.id) end
for _, op in ipairs(unary) do
  methods[op] = function(x) return add_node(x.b, op, x.id) end
end
methods.maximum = binary("maximum")
methods.minimum = binary("minimum")
methods.clamp = function(x, lo, hi) return methods.minimum(methods.maximum(x, lo), hi) end
local names = {}
for k in pairs(methods) do names[#names + 1] = k end
table.sort(names)
Sym.__index = function(_, k)
  local m = methods[k]
  if m then return m end
  fail("expressions have no method '" .. tostring(k) .. "' (available: " .. table.concat(names, ", ") .. ")")
end
local function nocompare() fail("expressions cannot be compared; use maximum/minimum, or decide outside the kernel and pass a scalar") end
Sym.__lt, Sym.__le, Sym.__eq = nocompare, nocompare, nocompare
Sym.__concat = function() fail("expressions cannot be concatenated") end
Sym.__len = function() fail("expressions have no length") end
Sym.__tostring = function(x) return "kernel expression #" .. x.id end

return function(spec)
  if type(spec) ~= "table" then fail("a table {tensors = {...}, body = function(t, s) ... end} expected, got " .. type(spec)) end
  for k in pairs(spec) do
    if k ~= "tensors" and k ~= "body" then fail("unknown field '" .. tostring(k) .. "' (known: tensors, body)") end
  end
  local tensors, body = spec.tensors, spec.body
  if type(tensors) ~= "table" or #tensors == 0 then fail("'tensors' must be a non-empty array of names") end
  if type(body) ~= "function" then fail("'body' must be a function(t, s)") end
  local b = new_builder()
  local index = {}
  for i, name in ipairs(tensors) do
    if type(name) ~= "string" then fail("tensor names must be strings, got " .. type(name) .. " at " .. i) end
    if index[name] then fail("tensor '" .. name .. "' declared twice") end
    index[name] = i
  end
  local t = setmetatable({}, {__index = function(_, k)
    local i = index[k]
    if not i then fail("unknown tensor '" .. tostring(k) .. "' (declared: " .. table.concat(tensors, ", ") .. ")") end
    return add_node(b, "tensor", i)
  end, __newindex = function() fail("t is read-only; return the new values instead") end})
  local scalars, scalar_index = {}, {}
  local s = setmetatable({}, {__index = function(_, k)
    if type(k) ~= "string" then fail("scalar names must be strings") end
    if index[k] then fail("'" .. k .. "' is a tensor; a scalar cannot share its name") end
    if not scalar_index[k] then
      scalars[#scalars + 1] = k
      scalar_index[k] = #scalars
    end
    return add_node(b, "scalar", scalar_index[k])
  end, __newindex = function() fail("s is read-only") end})
  local out = body(t, s)
  if type(out) ~= "table" then fail("body must return a table {tensor_name = expression}, got " .. type(out)) end
  local outputs = {}
  for name, e in pairs(out) do
    if not index[name] then fail("body returned '" .. tostring(name) .. "', which is not a declared tensor (declared: " .. table.concat(tensors, ", ") .. ")") end
    outputs[#outputs + 1] = {index[name], lift(b, e, "output " .. name)}
  end
  table.sort(outputs, function(x, y) return x[1] < y[1] end)
  return compile(tensors, scalars, b.nodes, outputs)
end
