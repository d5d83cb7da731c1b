-- optim.chain, transforms, lookahead, ema and parameter groups against values worked by hand.
local function step(opt, p, g) opt:step({p}, {g}) end

-- clip_by_global_norm: grads {3, 4} (norm 5) clipped to norm 1 -> {0.6, 0.8}; sgd lr 0.1.
local p = tensor.from{1, 1}
local c = optim.chain{optim.clip_by_global_norm(1), optim.new("sgd", {lr = 0.1})}
step(c, p, tensor.from{3, 4})
check_close(p:get(1), 0.94); check_close(p:get(2), 0.92)
check_eq(c.name, "chain(clip_by_global_norm,sgd)")
check_eq(c.hyper.max_norm, 1); check_eq(c.hyper.lr, 0.1)
c.hyper.lr = 0.2; check_eq(c.hyper.lr, 0.2)           -- reaches the optimizer
c.hyper.max_norm = 10; check_eq(c.hyper.max_norm, 10) -- reaches the transform
-- Global over all parameters of the step: {3} and {4} together have norm 5.
local a, b = tensor.from{0}, tensor.from{0}
optim.chain{optim.clip_by_global_norm(1), optim.new("sgd", {lr = 1})}:step({a, b}, {tensor.from{3}, tensor.from{4}})
check_close(a:get(1), -0.6); check_close(b:get(1), -0.8)
-- Under the norm: unchanged.
local u = tensor.from{0}
optim.chain{optim.clip_by_global_norm(10), optim.new("sgd", {lr = 1})}:step({u}, {tensor.from{3}})
check_close(u:get(1), -3)

-- clip_by_value and scale.
local q = tensor.from{1, 1}
step(optim.chain{optim.clip_by_value(0.5), optim.new("sgd", {lr = 1})}, q, tensor.from{3, -0.2})
check_close(q:get(1), 0.5); check_close(q:get(2), 1.2)
local s = tensor.from{1}
step(optim.chain{optim.scale(2), optim.clip_by_value(3), optim.new("sgd", {lr = 1})}, s, tensor.from{2})
check_close(s:get(1), -2, 1e-6, "scale 2 then clip at 3: 4 -> 3")

-- add_decayed_weights is decoupled: p - lr*wd*p - lr*g = 2 - 0.5*0.1*2 - 0.5*1.
local r = tensor.from{2}
step(optim.chain{optim.add_decayed_weights(0.1), optim.new("sgd", {lr = 0.5})}, r, tensor.from{1})
check_close(r:get(1), 1.4)
-- chain{add_decayed_weights(wd), adam} is AdamW, bit for bit.
local w1 = tensor.randn({40}, 3)
local w2 = w1:clone()
local o1 = optim.new("adamw", {lr = 0.01, weight_decay = 0.1})
local o2 = optim.chain{optim.add_decayed_weights(0.1), optim.new("adam", {lr = 0.01})}
for i = 1, 5 do
  local g = tensor.randn({40}, 10 + i)
  o1:step({w1}, {g}); o2:step({w2}, {g:clone()})
end
check_eq((w1 - w2):abs():max(), 0, "chain adamw == adamw")

-- Lookahead, k = 2, alpha = 0.5, inner sgd lr 1, gradient 1: fast -1, -2 -> slow -1; -2, -3 -> slow -2.
local la = tensor.from{0}
local look = optim.lookahead(optim.new("sgd", {lr = 1}), {k = 2, alpha = 0.5})
for i, v in ipairs{-1, -1, -2, -2} do step(look, la, tensor.from{1}); check_close(la:get(1), v, 1e-6, "lookahead " .. i) end
check_eq(look:state(1)["lookahead.slow"]:get(1), -2)
check_eq(look.hyper.lookahead_k, 2)
-- Its inner optimizer keeps its state across steps (momentum buffers survive the sync).
local lm = tensor.from{0}
local lookm = optim.lookahead(optim.new("momentum", {lr = 1, momentum = 0.5}), {k = 100})
step(lookm, lm, tensor.from{1}); step(lookm, lm, tensor.from{1})
check_close(lm:get(1), -2.5, 1e-6, "momentum state kept inside lookahead")

-- ema(0.5): averages start at the weights after the first update: -1, then -1.5; swap and back.
local e = tensor.from{0}
local ema = optim.chain{optim.ema(0.5), optim.new("sgd", {lr = 1})}
step(ema, e, tensor.from{1}); step(ema, e, tensor.from{1})
check_close(e:get(1), -2)
ema:swap_averages({e}); check_close(e:get(1), -1.5)
ema:swap_averages({e}); check_close(e:get(1), -2)
check_error("an optimizer with weight averages", function() optim.new("sgd"):swap_averages({e}) end)

-- Named parameters and groups: biases at a tenth of the lr, following the base lr.
tensor.seed(1)
local model = nn.Sequential{nn.Linear{input = 2, output = 3}, nn.ReLU(), nn.Linear{input = 3, output = 1}}
local named, order = model:named_parameters()
check_eq(table.concat(order, " "), "0.weight 0.bias 2.weight 2.bias")
check(named["2.weight"] ~= nil)
local params = model:parameters()
local before = {}
for i, t in ipairs(params) do before[i] = t:clone() end
local seen = {}
local grouped = optim.new("sgd", {lr = 1}, {groups = {
  {match = "bias$", lr = 0.1},
  {match = function(param, index, name) seen[#seen + 1] = index .. "=" .. name; return false end},
}})
local ones = {}
for i, t in ipairs(params) do ones[i] = t:zeros_like() + 1 end
grouped:step(params, ones)
check_close(params[1]:get(1, 1), before[1]:get(1, 1) - 1)
check_close(params[2]:get(1), before[2]:get(1) - 0.1)
check_eq(table.concat(seen, " "), "1=0.weight 3=2.weight", "functions see index and name of what earlier groups left")
grouped.hyper.lr = 2
grouped:step(params, ones)
check_close(params[3]:get(1, 1), before[3]:get(1, 1) - 3)
check_close(params[4]:get(1), before[4]:get(1) - 0.3, 1e-6, "the group's lr follows the base lr")
check_eq(grouped:state(2).group, 1)

-- Save and load of composed optimizers continue exactly.
local function run(opt, x, n)
  for i = 1, n do opt:step({x}, {tensor.randn({8}, 100 + i)}) end
end
local x1 = tensor.randn({8}, 7)
local x2 = x1:clone()
local chained = optim.lookahead(optim.chain{optim.clip_by_global_norm(0.5), optim.ema(0.9), optim.new("adam", {lr = 0.1})}, {k = 3})
run(chained, x1, 4)
chained:save(TMP .. "/chain.dtar")
local copy = optim.lookahead(optim.chain{optim.clip_by_global_norm(0.5), optim.ema(0.9), optim.new("adam", {lr = 0.1})}, {k = 3})
copy:load(TMP .. "/chain.dtar")
x2:copy_(x1)
for i = 5, 9 do
  local g = tensor.randn({8}, 100 + i)
  chained:step({x1}, {g}); copy:step({x2}, {g:clone()})
end
check_eq((x1 - x2):abs():max(), 0, "restored chain continues bit for bit")

-- Wrong uses.
check_error("a transform (optim.clip_by_global_norm(1), ...) before the optimizer expected at index 1, got optimizer", optim.chain, {optim.new("adam"), optim.scale(2)})
check_error("an optimizer last expected at index 2, got transform", optim.chain, {optim.scale(2), optim.scale(3)})
check_error("{transform, ..., optimizer} expected, got an empty table", optim.chain, {})
check_error("clip_by_global_norm and clip_by_global_norm both have a hyperparameter 'max_norm'", optim.chain,
  {optim.clip_by_global_norm(1), optim.clip_by_global_norm(2), optim.new("adam")})
check_error("clip_by_global_norm: max_norm must be > 0.0, got -1.0", optim.clip_by_global_norm, -1)
check_error("bad argument #1 to 'optim.clip_by_value' (finite limit (number) expected, got inf)", optim.clip_by_value, math.huge)
check_error("ema: ema_decay must be >= 0.0 and < 1.0, got 1.0", optim.ema, 1)
check_error("lookahead: k must be an integer >= 1, got 0.5", optim.lookahead, optim.new("sgd"), {k = 0.5})
check_error("bad argument #2 to 'optim.lookahead' (unknown option 'kk'", optim.lookahead, optim.new("sgd"), {kk = 2})
check_error("groups[1].match: a Lua pattern (string) or a function(param, index, name) expected, got number",
  optim.new, "adam", {}, {groups = {{match = 3}}})
check_error("group 1: adam: unknown hyperparameter 'lrr'", optim.new, "adam", {}, {groups = {{match = "x", lrr = 3}}})
check_error("options: only 'groups' is known, got 'grups'", optim.new, "adam", {}, {grups = {}})
check_error("malformed pattern", function()
  optim.new("sgd", {}, {groups = {{match = "[", lr = 1}}}):step(params, ones)
end)
