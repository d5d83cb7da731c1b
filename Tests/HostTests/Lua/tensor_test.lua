local d = require "descent"
check(d.tensor == tensor and d.nn == nn and d.optim == optim and d.schedule == schedule and d.clock == clock)

local t = tensor.from{{1, 2, 3}, {4, 5, 6}}
check_eq(t:numel(), 6); check_eq(#t, 2); check_eq(t:shape()[2], 3)
check_eq(t:get(2, 1), 4)
t:set(7, 1, 1); check_eq(t:get(1, 1), 7); t:set(1, 1, 1)
check_eq(tensor.zeros{2, 2}:sum(), 0); check_eq(tensor.ones{2, 3}:sum(), 6); check_eq(tensor.full({2}, 2.5):sum(), 5)
check(tensor.randn({4}, 3) == tensor.randn({4}, 3), "seeded randn repeats")
check(tensor.randn({4}, 3) ~= tensor.randn({4}, 4))
local c = t:clone(); c:fill_(0); check_eq(t:sum(), 21, "clone copies")
local r = t:reshape{3, 2}; r:set(10, 1, 1); check_eq(t:get(1, 1), 10, "reshape shares"); t:set(1, 1, 1)
check_eq(t:reshape{-1}:numel(), 6)
check_eq(t:totable()[2][3], 6)
check_eq(t:zeros_like():sum(), 0)
-- Operators, tensor-tensor and tensor-number, both sides.
check_eq((t + t):sum(), 42); check_eq((t - 1):sum(), 15); check_eq((2 * t):sum(), 42); check_eq((t / 2):sum(), 10.5)
check_eq((1 - t):sum(), -15); check_eq((6 / t):get(1, 1), 6); check_eq((-t):sum(), -21); check_eq((t * t):sum(), 91)
-- Elementwise functions.
check_eq(tensor.from{-4, 9}:abs():sqrt():sum(), 5)
check_eq(tensor.from{-2, 0, 3}:sign():sum(), 0)
check_close(tensor.from{0, 1}:exp():sum(), 1 + math.exp(1))
check_close(tensor.from{1, math.exp(2)}:log():sum(), 2, 1e-6)
check_eq(tensor.from{-3, 3}:square():sum(), 18)
check_eq(tensor.from{-3, 0.5, 3}:clamp(-1, 1):sum(), 0.5)
check_eq(tensor.from{1, 5}:maximum(tensor.from{3, 2}):sum(), 8)
check_eq(tensor.from{1, 5}:minimum(2):sum(), 3)
-- In-place, chaining.
local a = tensor.from{1, 2}
check(a:add_(1) == a, "in-place ops return self")
check_eq(a:sum(), 5); a:add_(tensor.from{1, 1}, 2); check_eq(a:sum(), 9)
a:sub_(1):mul_(2):div_(tensor.from{2, 2}); check_eq(a:sum(), 7)
a:copy_(tensor.from{1, 4}):sqrt_(); check_eq(a:sum(), 3)
a:zero_():addcmul_(tensor.from{1, 2}, tensor.from{3, 4}, 0.5); check_eq(a:sum(), 5.5)
a:zero_():addcdiv_(tensor.from{1, 2}, tensor.from{2, 4}); check_eq(a:sum(), 1)
a:fill_(0):lerp_(tensor.from{10, 20}, 0.5); check_eq(a:sum(), 15)
a:lerp_(tensor.from{0, 0}, tensor.from{1, 0}); check_eq(a:sum(), 10)
a:clamp_(0, 5); check_eq(a:sum(), 5)
-- Reductions.
local v = tensor.from{3, -4}
check_eq(v:sum(), -1); check_eq(v:mean(), -0.5); check_eq(v:min(), -4); check_eq(v:max(), 3); check_eq(v:norm(), 5); check_eq(v:dot(v), 25)
-- Printing.
check(tostring(t):find("tensor[2,3]", 1, true) == 1, tostring(t))
check(tostring(tensor.zeros{100, 100}):find("...", 1, true), "large tensors truncate")
-- .npy fixtures of every kind, and a round trip.
local f32 = tensor.load(FIXTURES .. "/f32_2x3.npy"); check_eq(f32:shape()[1], 2); check_eq(f32:get(2, 3), 5.5)
check_eq(tensor.load(FIXTURES .. "/f64_3.npy"):sum(), 6.5)
check_eq(tensor.load(FIXTURES .. "/i64_2x2.npy"):sum(), -6)
check_eq(tensor.load(FIXTURES .. "/u8_4.npy"):max(), 255)
check_eq(tensor.load(FIXTURES .. "/bool_3.npy"):sum(), 2)
check_eq(tensor.load(FIXTURES .. "/i32_scalar.npy"):numel(), 1)
local path = TMP .. "/descent_lua_roundtrip.npy"
f32:save(path); check(tensor.load(path) == f32, "save/load round trip")
check_error("big-endian data (>f4) is not supported", tensor.load, FIXTURES .. "/bad_bigendian.npy")
check_error("Fortran-order arrays are not supported", tensor.load, FIXTURES .. "/bad_fortran.npy")
check_error("truncated data", tensor.load, FIXTURES .. "/bad_truncated.npy")
check_error("no_such.npy: no such file", tensor.load, FIXTURES .. "/no_such.npy")
check(type(clock()) == "number")
