-- Every binding called wrongly gives a Lua error naming the function and the argument; none
-- crashes the host. Table-driven: {expected message fragment, function, arguments...}.
local t = tensor.zeros{3, 4}
local u = tensor.zeros{4, 3}
local conv = nn.Conv2d{input=3, output=2, kernel=3}
local lin = nn.Linear{input=4, output=2}
local opt = optim.new("adam")
local cases = {
  {"bad argument #2 to 'add_' (tensor of shape [3,4] expected, got [4,3])", t.add_, t, u},
  {"bad argument #2 to 'add_' (tensor or number expected, got string)", t.add_, t, "x"},
  {"bad argument #1 to 'add_' (tensor expected, got number)", t.add_, 1, t},
  {"bad argument #2 to 'sub_' (tensor of shape [3,4] expected, got [4,3])", t.sub_, t, u},
  {"bad argument #2 to 'mul_' (tensor or number expected, got no value)", t.mul_, t},
  {"bad argument #2 to 'div_' (tensor or number expected, got table)", t.div_, t, {}},
  {"bad argument #2 to 'copy_' (tensor of shape [3,4] expected, got [4,3])", t.copy_, t, u},
  {"bad argument #2 to 'fill_' (value (number) expected, got string)", t.fill_, t, "1"},
  {"bad argument #3 to 'addcmul_' (tensor of shape [3,4] expected, got [4,3])", t.addcmul_, t, t, u},
  {"bad argument #2 to 'addcdiv_' (tensor expected, got number)", t.addcdiv_, t, 1, t},
  {"bad argument #3 to 'lerp_' (tensor or number expected, got no value)", t.lerp_, t, t},
  {"bad argument #3 to 'clamp_' (upper bound >= lower bound (1.0) expected, got 0.0)", t.clamp_, t, 1, 0},
  {"bad argument #3 to 'clamp' (upper bound (number) expected, got no value)", t.clamp, t, 1},
  {"bad argument #2 to 'dot' (tensor of shape [3,4] expected, got [4,3])", t.dot, t, u},
  {"bad argument #2 to 'maximum' (tensor of shape [3,4] expected, got [4,3])", t.maximum, t, u},
  {"bad argument #2 to 'get' (2 indices expected for shape [3,4], got 1)", t.get, t, 1},
  {"bad argument #3 to 'get' (index out of range: 5 not in 1..4)", t.get, t, 1, 5},
  {"bad argument #2 to 'get' (index (integer) expected, got 1.5)", t.get, t, 1.5, 1},
  {"bad argument #2 to 'set' (value (number) expected, got nil)", t.set, t, nil, 1, 1},
  {"bad argument #2 to 'reshape' (cannot reshape [3,4] (12 elements) into [5,2])", t.reshape, t, {5, 2}},
  {"bad argument #2 to 'reshape' (shape (table of integers) expected, got string)", t.reshape, t, "x"},
  {"bad argument #2 to 'size' (dimension out of range: 3 not in 1..2)", t.size, t, 3},
  {"bad argument #2 to 'save' (string expected, got no value)", t.save, t},
  {"bad argument #1 to 'tensor.zeros' (shape of non-negative integers expected, got -1.0 at index 1)", tensor.zeros, {-1}},
  {"bad argument #1 to 'tensor.zeros' (shape (table of integers) expected, got string)", tensor.zeros, "3"},
  {"bad argument #1 to 'tensor.ones' (shape of integers expected, got string at index 2)", tensor.ones, {2, "x"}},
  {"bad argument #2 to 'tensor.full' (fill value (number) expected, got no value)", tensor.full, {2}},
  {"bad argument #2 to 'tensor.randn' (seed (integer) expected, got 1.5)", tensor.randn, {2}, 1.5},
  {"bad argument #1 to 'tensor.from' (ragged nested table: 1 items at t[2], expected 2)", tensor.from, {{1, 2}, {3}}},
  {"bad argument #1 to 'tensor.from' (nested table of numbers expected, got x at t[1])", tensor.from, {"x"}},
  {"bad argument #1 to 'tensor.load' (string expected, got no value)", tensor.load},
  {"bad argument #1 to 'nn.Conv2d' (option 'input' is required)", nn.Conv2d, {output=2, kernel=3}},
  {"bad argument #1 to 'nn.Conv2d' (unknown option 'kernal' (known: input, output, kernel, stride, padding, bias))", nn.Conv2d, {input=1, output=1, kernal=3}},
  {"nn.Conv2d: kernel must be positive, got 0", nn.Conv2d, {input=1, output=1, kernel=0}},
  {"bad argument #1 to 'nn.Conv2d' (option 'stride': integer or {h, w} pair expected, got x)", nn.Conv2d, {input=1, output=1, kernel=1, stride="x"}},
  {"nn.Linear: output must be positive, got -2", nn.Linear, {input=1, output=-2}},
  {"nn.Dropout: p must be in [0, 1), got 1.0", nn.Dropout, {p=1}},
  {"bad argument #1 to 'nn.Sequential' (module expected at index 2, got number)", nn.Sequential, {nn.ReLU(), 3}},
  {"nn.Conv2d: input with 3 channels expected, got 1 (shape [1,1,5,5])", conv.forward, conv, tensor.zeros{1, 1, 5, 5}},
  {"nn.Conv2d: input of rank 4 [N,C,H,W] expected, got [3,5,5]", conv.forward, conv, tensor.zeros{3, 5, 5}},
  {"nn.Conv2d: input of 2x2 (padded 2x2) is smaller than the 3x3 kernel", conv.forward, conv, tensor.zeros{1, 3, 2, 2}},
  {"nn.Linear: input of shape [N,4] expected, got [2,3]", lin.forward, lin, tensor.zeros{2, 3}},
  {"nn.Linear.backward: gradOutput of shape [2,2] expected, got [2,3]", lin.backward, lin, tensor.zeros{2, 4}, tensor.zeros{2, 3}},
  {"bad argument #2 to 'forward' (tensor expected, got no value)", lin.forward, lin},
  {"bad argument #1 to 'forward' (module expected, got tensor)", lin.forward, t, t},
  {"nn.CrossEntropy: target[1] must be a class index in 0..1, got 2.0", nn.CrossEntropy().forward, nn.CrossEntropy(), tensor.zeros{1, 2}, tensor.from{2}},
  {"nn.MSE: target of shape [3,4] expected (the output's), got [4,3]", nn.MSE().forward, nn.MSE(), t, u},
  {"optim.new: unknown optimizer 'adamm'", optim.new, "adamm"},
  {"bad argument #1 to 'optim.new' (string expected, got no value)", optim.new},
  {"adam: unknown hyperparameter 'lerning_rate' (known: lr, beta1, beta2, epsilon, form, weight_decay, clip_norm)", optim.new, "adam", {lerning_rate = 1}},
  {"adam: beta1 must be >= 0.0 and < 1.0, got 1.5", optim.new, "adam", {beta1 = 1.5}},
  {"adam: lr must be finite, got inf", optim.new, "adam", {lr = math.huge}},
  {"bad argument #2 to 'step' (tensor or array of tensors expected, got no value)", opt.step, opt},
  {"adam.step: gradient 1 of shape [3,4] expected (its parameter's), got [4,3]", opt.step, opt, t, u},
  {"bad argument #2 to 'state' (parameter index >= 1 expected, got 0)", opt.state, opt, 0},
  {"schedule.new: unknown schedule 'cosine'", schedule.new, "cosine"},
  {"cosine_decay: base must be >= warmup_lr (0.5), got 0.1", schedule.new, "cosine_decay", {base = 0.1, warmup_lr = 0.5, warmup_steps = 10}},
  {"bad argument #2 to 'at' (step >= 0 expected, got -1)", schedule.new("constant").at, schedule.new("constant"), -1},
  {"adam: lr must be a number, got string \"fast\"", function() opt.hyper.lr = "fast" end},
  {"adam: unknown hyperparameter 'lerning_rate'", function() opt.hyper.lerning_rate = 1 end},
  -- Numbers that are no sizes: NaN, infinities, past Int's range, products that overflow, too
  -- many bytes, too many dimensions.
  {"zeros: cannot allocate 40000000000 bytes for a tensor of shape [100000,100000] (limit ", tensor.zeros, {1e5, 1e5}},
  {"zeros: cannot allocate more bytes than a 64-bit size holds for a tensor of shape", tensor.zeros, {2^40, 2^40}},
  {"bad argument #1 to 'tensor.zeros' (shape of non-negative integers expected, got 1e+20 at index 1)", tensor.zeros, {1e20}},
  {"bad argument #1 to 'tensor.zeros' (shape of non-negative integers expected, got ", tensor.zeros, {0/0}},
  {"bad argument #2 to 'reshape' (shape of integers from -1 to 2^40 expected, got 1e+20 at index 1)", t.reshape, t, {1e20}},
  {"bad argument #2 to 'reshape' (shape of integers from -1 to 2^40 expected, got inf at index 1)", t.reshape, t, {math.huge}},
  {"bad argument #2 to 'reshape' (shape of integers from -1 to 2^40 expected, got 4.611686018427388e+18 at index 1)", t.reshape, t, {2^62, 4}},
  {"bad argument #2 to 'reshape' (cannot reshape [3,4] (12 elements) into [1099511627776,1099511627776,-1])", t.reshape, t, {2^40, 2^40, -1}},
  {"bad argument #2 to 'reshape' (shape may have at most 32 dimensions, got 40)", t.reshape, t, (function() local s = {} for i = 1, 40 do s[i] = 1 end s[1] = 12 return s end)()},
  {"bad argument #1 to 'nn.Conv2d' (option 'kernel': integer or {h, w} pair expected, got 1e+20)", nn.Conv2d, {input=3, output=16, kernel=1e20}},
  {"bad argument #1 to 'nn.Conv2d' (option 'padding': integer or {h, w} pair expected, got {1, inf})", nn.Conv2d, {input=3, output=16, kernel=3, padding={1, math.huge}}},
  {"bad argument #1 to 'nn.MaxPool2d' (option 'kernel': integer or {h, w} pair expected, got 1e+20)", nn.MaxPool2d, {kernel=1e20}},
  {"nn.Linear: cannot allocate 40000000000 bytes for a tensor of shape [100000,100000]", nn.Linear, {input=1e5, output=1e5}},
  {"nn.Conv2d: cannot allocate", nn.Conv2d, {input=2^20, output=2^20, kernel=3}},
  {"bad argument #1 to 'nn.BatchNorm2d' (option 'channels': integer expected, got 1000000000000.0)", nn.BatchNorm2d, {channels=1e12}},
  {"adam.step: parameters 1 and 2 share memory; pass each parameter once", optim.new("adam").step, optim.new("adam"), {t, t}, {t, t}},
  {"sgd.step: parameters 1 and 2 share memory; pass each parameter once", optim.new("sgd").step, optim.new("sgd"), {t, t:reshape{12}}, {t, tensor.zeros{12}}},
  {"nn.Conv2d: cannot allocate 262144000000 bytes for a tensor of shape [1,4096,4000,4000]", nn.Conv2d{input=1, output=4096, kernel=1}.forward, nn.Conv2d{input=1, output=4096, kernel=1}, tensor.zeros{1, 1, 4000, 4000}},
  {"/: is a directory, not a file", tensor.load, "/"},
  {"bad argument #2 to 'tensor.randn' (seed (integer) expected, got 1e+300)", tensor.randn, {2}, 1e300},
  {"bad argument #2 to 'at' (step (integer) expected, got 1e+300)", schedule.new("constant").at, schedule.new("constant"), 1e300},
  {"nn.FocalLoss: alpha must be <= 1 (or negative to disable the weighting), got 2.0", nn.FocalLoss, {alpha = 2}},
  {"bad argument #3 to 'tensor.uniform' (upper bound >= lower bound (5.0) expected, got 1.0)", tensor.uniform, {4}, 5, 1},
  {"nn.CrossEntropy: target[1] must be a class index in 0..2, got 1e+30", nn.CrossEntropy().forward, nn.CrossEntropy(), tensor.zeros{1, 3}, tensor.from{1e30}},
  {"nn.CrossEntropy: target[1] must be a class index in 0..2, got inf", nn.CrossEntropy().forward, nn.CrossEntropy(), tensor.zeros{1, 3}, tensor.from{math.huge}},
  {"nn.CrossEntropy: target[1] must be a class index in 0..2, got ", nn.CrossEntropy().backward, nn.CrossEntropy(), tensor.zeros{1, 3}, tensor.from{0/0}},
}
for i, c in ipairs(cases) do
  local ok, err = pcall(c[2], table.unpack(c, 3))
  if ok then error(string.format("case %d: no error, expected: %s", i, c[1])) end
  if not tostring(err):find(c[1], 1, true) then
    error(string.format("case %d:\n  expected: %s\n  got:      %s", i, c[1], tostring(err)))
  end
end
-- After all that, the VM is fine and nothing is half-modified.
check_eq(t:sum(), 0)
check_eq(tensor.ones{2}:sum(), 2)
