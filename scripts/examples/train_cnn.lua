-- Train the reference CNN on a synthetic task with a native optimizer, from Lua.
-- Usage: descent run scripts/examples/train_cnn.lua [--set steps=N] [--set optimizer=adam]
local steps, name = params.steps or 30, params.optimizer or "adam"
local model = nn.Sequential{
  nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Conv2d{input=16, output=32, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Conv2d{input=32, output=64, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
  nn.Flatten(), nn.Linear{input=64 * 4 * 4, output=128}, nn.ReLU(), nn.Linear{input=128, output=10}}
model.needs_input_gradient = false   -- the images need no gradient: saves the first layer's data gradient
local loss, opt = nn.CrossEntropy(), optim.new(name, {lr = 1e-3})
local lr = schedule.new("cosine_decay", {base = 1e-3, total_steps = steps, warmup_steps = math.min(5, steps - 1)})
-- Synthetic data: the class is which of 10 horizontal bands is bright.
local x, y = tensor.randn({32, 3, 32, 32}, 1) * 0.1, tensor.zeros{32}
for i = 1, 32 do
  local c = (i - 1) % 10
  y:set(c, i)
  for ch = 1, 3 do for r = c * 3 + 1, c * 3 + 3 do for col = 1, 32 do x:set(x:get(i, ch, r, col) + 1, i, ch, r, col) end end end
end
local params_, grads = model:parameters()
for step = 0, steps - 1 do
  opt.hyper.lr = lr:at(step)
  model:zero_grad()
  local out = model:forward(x)
  local l = loss:forward(out, y)
  model:backward(x, loss:backward(out, y))
  opt:step(params_, grads)
  if step % 10 == 0 or step == steps - 1 then print(string.format("step %3d  loss %.4f  lr %.2e", step, l, opt.hyper.lr)) end
end
