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

-- Matrix ops (issue 23): matmul against hand-computed products, transposes, dimension
-- reductions, broadcasting of row and column vectors, rms, view.
local A = tensor.from{{1, 2, 3}, {4, 5, 6}}           -- [2,3]
local B = tensor.from{{1, 0}, {0, 1}, {2, -1}}         -- [3,2]
check(A:matmul(B) == tensor.from{{7, -1}, {16, -1}}, "matmul")
check(A:t() == tensor.from{{1, 4}, {2, 5}, {3, 6}}, "t()")
check(A:transpose(1, 2) == A:t(), "transpose(1, 2) of a matrix")
local C = tensor.from{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}   -- [2,2,2]
check(C:transpose(1, 3) == tensor.from{{{1, 5}, {3, 7}}, {{2, 6}, {4, 8}}}, "transpose(1, 3)")
check(C:transpose(2, 2) == C, "transpose of a dimension with itself")
check(A:sum(1) == tensor.from{5, 7, 9}, "sum over rows")
check(A:sum(2) == tensor.from{6, 15}, "sum over columns")
check(A:sum(2, true) == tensor.from{{6}, {15}}, "keepdim")
check(A:mean(1, true) == tensor.from{{2.5, 3.5, 4.5}}, "mean keepdim")
check_eq(A:sum(), 21); check_eq(A:mean(), 3.5)
check(A + tensor.from{{10, 20, 30}} == tensor.from{{11, 22, 33}, {14, 25, 36}}, "row vector broadcast")
check(A * tensor.from{{2}, {3}} == tensor.from{{2, 4, 6}, {12, 15, 18}}, "column vector broadcast")
check(A / A:sum(2, true) == tensor.from{{1 / 6, 2 / 6, 3 / 6}, {4 / 15, 5 / 15, 6 / 15}}, "normalise rows")
check(A - tensor.from{1, 1, 1} == tensor.from{{0, 1, 2}, {3, 4, 5}}, "1-D against a matrix")
check(tensor.from{{1}, {2}} + tensor.from{{10, 20}} == tensor.from{{11, 21}, {12, 22}}, "outer broadcast")
check(A:maximum(tensor.from{{2}, {5}}) == tensor.from{{2, 2, 3}, {5, 5, 6}}, "maximum broadcasts")
check_close(tensor.from{3, 4}:rms(), math.sqrt(12.5), 1e-7, "rms")
local V = A:view{3, 2}
V:set(100, 1, 1)
check_eq(A:get(1, 1), 100, "view shares storage")
check_error("bad argument #2 to 'matmul' (inner dimensions must agree: [2,3] x [2,3])", A.matmul, A, A)
check_error("bad argument #1 to 't' (matrix (rank 2) expected, got shape [2,2,2]; use transpose(i, j))", C.t, C)
check_error("bad argument #3 to 'transpose' (dimension out of range: 4 not in 1..3)", C.transpose, C, 1, 4)
check_error("bad argument #2 to 'sum' (dimension out of range: 3 not in 1..2)", A.sum, A, 3)
check_error("bad argument #3 to 'mean' (keepdim (boolean) expected, got number)", A.mean, A, 1, 1)
check_error("bad argument #2 to '__add' (tensor of shape [2,3] or one that broadcasts to it expected, got [2,2])", function() return A + tensor.zeros{2, 2} end)
check_error("bad argument #1 to 'matmul' (matrix (rank 2) expected, got shape [3])", tensor.zeros{3}.matmul, tensor.zeros{3}, A)
check_error("cannot allocate 40000000000 bytes", function() return tensor.zeros{100000, 1} + tensor.zeros{1, 100000} end)
