-- Adam written with tensor ops in Lua, side by side with native Adam on the same problem:
-- least squares ||A w - b||^2, same start, same learning rate. Both columns should agree.
--   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
local A, b = tensor.randn({64, 16}, 1), tensor.randn({64, 1}, 2)
local w_lua, w_nat = tensor.zeros{16, 1}, tensor.zeros{16, 1}
local lin = nn.Linear{input=16, output=1, bias=false}
local mse = nn.MSE()
local function loss_and_grad(w)
  lin.weight:copy_(w:reshape{1, 16})
  lin:zero_grad()
  local out = lin:forward(A)
  local l = mse:forward(out, b)
  lin:backward(A, mse:backward(out, b))
  return l, lin.gradWeight:reshape{16, 1}:clone()
end
local lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
local m, v = w_lua:zeros_like(), w_lua:zeros_like()
local native = optim.new("adam", {lr = lr})
for t = 1, (params.steps or 50) do
  local l1, g1 = loss_and_grad(w_lua)
  m:mul_(b1):add_(g1, 1 - b1)
  v:mul_(b2):addcmul_(g1, g1, 1 - b2)
  local denom = (v / (1 - b2 ^ t)):sqrt_():add_(eps)
  w_lua:addcdiv_(m, denom, -lr / (1 - b1 ^ t))
  local l2, g2 = loss_and_grad(w_nat)
  native:step(w_nat, g2)
  if t % 10 == 0 then print(string.format("step %3d  lua adam %.6f  native adam %.6f", t, l1, l2)) end
end
print(string.format("max |w_lua - w_native| = %.3g", (w_lua - w_nat):abs():max()))
