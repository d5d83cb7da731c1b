-- The reference CNN (Sources/Core/Models/ReferenceCNN.swift) trained by the README's plain Lua
-- loop, as a user writes it (no flags): prints steps/s over `arg[1]` steps after 5 warm-up steps.
--   DESCENT_THREADS=1 descent run bench/reference_step.lua 60
local model = nn.Sequential{
  nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Conv2d{input=16, output=32, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Conv2d{input=32, output=64, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Flatten(), nn.Linear{input=4096, output=128}, nn.ReLU(), nn.Linear{input=128, output=10}}
local loss, opt = nn.CrossEntropy(), optim.new("adam", {lr = 1e-3})
local x, y = tensor.randn({32, 3, 64, 64}, 1), tensor.zeros{32}
local params, grads = model:parameters()
local steps = tonumber(arg[1]) or 60
local t0
for i = 1, steps + 5 do
  if i == 6 then t0 = clock() end
  model:zero_grad()
  local out = model:forward(x)
  loss:forward(out, y)
  model:backward(x, loss:backward(out, y))
  opt:step(params, grads)
end
print(string.format("%.1f steps/s", steps / (clock() - t0)))
