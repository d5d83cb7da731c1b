local conv = nn.Conv2d{input=3, output=16, kernel=3, padding=1}
check_eq(tostring(conv), "nn.Conv2d(3 -> 16, 3x3, stride 1, pad 1)")
check_eq(tostring(nn.Conv2d{input=3, output=8, kernel={3, 5}, stride={2, 1}, padding={1, 2}, bias=false}), "nn.Conv2d(3 -> 8, 3x5, stride (2,1), pad (1,2), no bias)")
check_eq(tostring(nn.Linear{input=4096, output=128}), "nn.Linear(4096 -> 128)")
-- weight and bias share storage with the native layer.
local lin = nn.Linear{input=2, output=1}
lin.weight:fill_(1); lin.bias:fill_(0.5)
check_eq(lin:forward(tensor.from{{1, 2}}):get(1, 1), 3.5)
local params, grads = lin:parameters()
check_eq(#params, 2); check(params[1] == lin.weight and params[2] == lin.bias)
lin:backward(tensor.from{{1, 2}}, tensor.from{{1}})
check_eq(grads[1]:sum(), 3); check_eq(lin.gradWeight:sum(), 3)
lin:zero_grad(); check_eq(grads[1]:sum(), 0)
-- A small model end to end.
local m = nn.Sequential{nn.Conv2d{input=1, output=2, kernel=3, padding=1}, nn.BatchNorm2d{channels=2}, nn.SiLU(),
  nn.AvgPool2d{kernel=2}, nn.GlobalAvgPool(), nn.Linear{input=2, output=3}}
local x = tensor.randn({4, 1, 6, 6}, 1)
local y = m:forward(x)
check_eq(y:shape()[1], 4); check_eq(y:shape()[2], 3)
local ce = nn.CrossEntropy()
local target = tensor.from{0, 1, 2, 0}
local l = ce:forward(y, target)
check(l > 0)
local gx = m:backward(x, ce:backward(y, target))
check_eq(gx:numel(), x:numel())
check_eq(#m.modules, 6); check(m.modules[2].running_mean ~= nil)
m:evaluate(); check_eq(m.modules[2].training, false); m:train()
check(tostring(m):find("nn.Sequential", 1, true) == 1)
check_eq(m:num_parameters(), 2 * 9 + 2 + 2 + 2 + 2 * 3 + 3)
for _, mod in ipairs{nn.ReLU(), nn.LeakyReLU{slope=0.2}, nn.Tanh(), nn.Sigmoid(), nn.Dropout{p=0.1}, nn.Flatten(), nn.MaxPool2d{kernel=2, stride=1}} do
  check(tostring(mod):find("nn.") == 1)
end
local res = nn.Residual(nn.Sequential{nn.Conv2d{input=2, output=2, kernel=3, padding=1}})
check_eq(res:forward(tensor.ones{1, 2, 4, 4}):numel(), 32)
local cat = nn.Concat{nn.Conv2d{input=2, output=1, kernel=1}, nn.Conv2d{input=2, output=3, kernel=1}}
check_eq(cat:forward(tensor.ones{1, 2, 4, 4}):shape()[2], 4)
-- Losses.
check_eq(nn.MSE():forward(tensor.from{1, 2}, tensor.from{0, 0}), 2.5)
check_close(nn.BCEWithLogits():forward(tensor.from{0}, tensor.from{1}), math.log(2))
check(nn.FocalLoss{alpha=0.25, gamma=2}:forward(tensor.from{0}, tensor.from{1}) > 0)
check_eq(nn.SmoothL1{beta=1}:forward(tensor.from{3}, tensor.from{0}), 2.5)
-- backward's input gradient is computed when first used (a loop that drops it skips the work),
-- and is what it was at backward even when the model ran another batch since; read after an
-- optimizer step changed the weights it reads, it is an error (PyTorch's in-place rule).
do
  local m = nn.Sequential{nn.Conv2d{input=3, output=4, kernel=3, padding=1}, nn.ReLU(), nn.Flatten(), nn.Linear{input=4*5*5, output=2}}
  local x, x2 = tensor.randn({2, 3, 5, 5}, 8), tensor.randn({2, 3, 5, 5}, 9)
  local g = tensor.randn({2, 2}, 10)
  m:forward(x)
  local now = m:backward(x, g):clone()
  m:forward(x)
  local later = m:backward(x, g)
  local stale = m:backward(x, g)
  m:forward(x2); m:backward(x2, g)
  check(later == now)
  check_eq(tostring(later:shape()[4]), "5")
  check_eq(later:get(1, 1, 1, 1), now:get(1, 1, 1, 1))
  local params, grads = m:parameters()
  optim.new("sgd", {lr = 0.5}):step(params, grads)
  check_eq(later:get(1, 1, 1, 1), now:get(1, 1, 1, 1))
  check_error("nn.Conv2d.backward: the input gradient was read after the layer's weights or gradOutput changed (an optimizer step or an in-place write since backward); it is computed when first read, so read it before changing them",
              function() return stale:sum() end)
end
-- needs_input_gradient: off, backward returns zeros but still accumulates parameter gradients.
local first = nn.Sequential{nn.Conv2d{input=1, output=2, kernel=3, padding=1}, nn.Flatten()}
local xin = tensor.randn({2, 1, 4, 4}, 3)
local full = first:backward(xin, first:forward(xin))
check(full:abs():sum() > 0)
check_eq(first.needs_input_gradient, true)
first.needs_input_gradient = false
check_eq(first.modules[1].needs_input_gradient, false)
first:zero_grad()
local none = first:backward(xin, first:forward(xin))
check_eq(none:abs():sum(), 0)
check(first.modules[1].gradWeight:abs():sum() > 0)
check_error("nn: 'weight' cannot be assigned on nn.Sequential {", function() first.weight = tensor.zeros{1} end)
check_error("nn: boolean expected for needs_input_gradient, got number", function() first.needs_input_gradient = 1 end)
