-- The reference CNN (Sources/Core/Models/ReferenceCNN.swift) trained by the README's plain Lua
-- loop, as a user writes it. As a script it prints steps/s over `arg[1]` steps after 5 warm-up
-- steps (bench/side_by_side.sh runs it beside TensorFlow):
--   DESCENT_THREADS=1 descent run bench/reference_step.lua 60
-- `descent bench` has it built in and takes `make_step` from it.

-- One training step of a fresh reference CNN per call, with optimizer `name`; with
-- `skip_input_gradient` the first layer skips the data's gradient, as the Swift trainer does.
local function make_step(name, skip_input_gradient)
  local model = nn.Sequential{
    nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
    nn.Conv2d{input=16, output=32, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
    nn.Conv2d{input=32, output=64, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
    nn.Flatten(), nn.Linear{input=4096, output=128}, nn.ReLU(), nn.Linear{input=128, output=10}}
  if skip_input_gradient then model.needs_input_gradient = false end
  local loss, opt = nn.CrossEntropy(), optim.new(name)
  local x, y = tensor.randn({32, 3, 64, 64}, 1), tensor.zeros{32}
  local params, grads = model:parameters()
  return function()
    model:zero_grad()
    local out = model:forward(x)
    loss:forward(out, y)
    model:backward(x, loss:backward(out, y))
    opt:step(params, grads)
  end
end

if arg == nil or arg[0] == nil then return make_step end

local step, steps = make_step("adam"), tonumber(arg[1]) or 60
for _ = 1, 5 do step() end
local t0 = clock()
for _ = 1, steps do step() end
print(string.format("%.1f steps/s", steps / (clock() - t0)))
