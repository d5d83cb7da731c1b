import XCTest
import DescentCore
import DescentHost

/// `optim.kernel`: fused programs against the same expressions computed directly, on lengths
/// that are not multiples of 8 and large enough to be split across threads.
final class KernelTests: XCTestCase {
    func testFusedExpressionsMatchDirectComputation() throws {
        let vm = try LuaVM.scripting()
        for n in [1, 7, 8, 257, 200_003] {
            let r = try vm.run("""
                local n = \(n)
                local k = optim.kernel{tensors = {"a", "b", "c"}, body = function(t, s)
                  local x = s.alpha * t.a + (1 - s.alpha) * t.b           -- madd fusion
                  local y = t.c - s.beta * x * x                           -- msub fusion
                  local z = (x:abs() + 1):log() - (y / 4):exp() + x:sign() * 2 + y:maximum(0.5):minimum(2) - (-x):clamp(-0.1, 0.1)
                  z = z + (t.c - x / (y:abs():sqrt() * s.beta + 0.5))     -- div-sub and sqrt-affine fusion
                  return {a = z, b = x:sqrt(), c = y ^ 2}
                end}
                local a, b, c = tensor.randn({n}, 1):abs(), tensor.randn({n}, 2):abs(), tensor.randn({n}, 3)
                local alpha, beta = 0.3, 0.7
                local x = a * alpha + b * (1 - alpha)
                local y = c - x * x * beta
                local z = (x:abs() + 1):log() - (y / 4):exp() + x:sign() * 2 + y:maximum(tensor.full({n}, 0.5)):minimum(tensor.full({n}, 2)) - (-x):clamp(-0.1, 0.1)
                z = z + (c - x / (y:abs():sqrt() * beta + 0.5))
                local wb, wc = x:sqrt(), y * y
                k{a = a, b = b, c = c, alpha = alpha, beta = beta}
                local function err(u, v) return (u - v):abs():max() / (v:abs():max() + 1) end
                return err(a, z), err(b, wb), err(c, wc)
                """)
            for (i, e) in r.enumerated() { XCTAssertLessThanOrEqual(e.number!, 1e-5, "n = \(n), output \(i + 1)") }
        }
    }

    /// The fused instruction shapes (s*a + t*b, s*a + (t*b)*c, c - (s*a)/b, sqrt(a)*s + t,
    /// c - a/b) round exactly as the same expressions in separate tensor ops.
    func testFusedShapesRoundAsSeparateOps() throws {
        let vm = try LuaVM.scripting()
        let r = try vm.run("""
            local n = 1003
            local k = optim.kernel{tensors = {"a", "b", "c", "d", "e"}, body = function(t, s)
              return {a = s.x * t.a + s.y * t.b, b = s.x * t.a + (s.y * t.b) * t.c, c = t.c - (s.x * t.a) / t.d,
                      d = t.d:sqrt() * s.x + s.y, e = t.e - t.a / t.d}
            end}
            local a, b, c, d, e = tensor.randn({n}, 1), tensor.randn({n}, 2), tensor.randn({n}, 3), tensor.randn({n}, 4):abs(), tensor.randn({n}, 5)
            local x, y = 0.3, 1 - 0.3
            local wa, wb, wc = a * x + b * y, a * x + (b * y) * c, c - (a * x) / d
            local wd, we = d:sqrt() * x + y, e - a / d
            k{a = a, b = b, c = c, d = d, e = e, x = x, y = y}
            local function diff(u, v) return (u - v):abs():max() end
            return diff(a, wa), diff(b, wb), diff(c, wc), diff(d, wd), diff(e, we)
            """)
        XCTAssertEqual(r, [.number(0), .number(0), .number(0), .number(0), .number(0)])
    }

    /// Outputs that are other inputs (a swap) and outputs read after being computed stay correct.
    func testAliasingAndIdentityOutputs() throws {
        let vm = try LuaVM.scripting()
        let r = try vm.run("""
            local swap = optim.kernel{tensors = {"a", "b"}, body = function(t) return {a = t.b, b = t.a} end}
            local a, b = tensor.from{1, 2, 3}, tensor.from{4, 5, 6}
            swap{a = a, b = b}
            local chain = optim.kernel{tensors = {"p", "q"}, body = function(t, s)
              local p = t.p * 2
              return {p = p, q = p + t.p}  -- q reads p's old value after p is computed
            end}
            local p, q = tensor.from{1, 2}, tensor.zeros{2}
            chain{p = p, q = q}
            local fill = optim.kernel{tensors = {"x"}, body = function(t, s) return {x = s.v * 2} end}
            local x = tensor.zeros{3}
            fill{x = x, v = 1.5}
            return a:get(1), b:get(3), p:get(2), q:get(2), x:get(3)
            """)
        XCTAssertEqual(r.map { $0.number! }, [4, 3, 4, 6, 3])
    }

    func testKernelErrorsNameTheProblem() throws {
        let vm = try LuaVM.scripting()
        try vm.run("K = optim.kernel{tensors = {'p', 'g'}, body = function(t, s) return {p = t.p - s.lr * t.g} end}")
        let cases: [(String, String)] = [
            ("K{p = tensor.zeros{2}, g = tensor.zeros{3}, lr = 1}", "tensor 'g' of shape [2] expected (that of 'p'), got [3]"),
            ("K{p = tensor.zeros{2}, g = tensor.zeros{2}}", "number expected for scalar 'lr', got nil"),
            ("K{p = tensor.zeros{2}, g = tensor.zeros{2}, lr = 0/0}", "scalar 'lr' must be finite"),
            ("K{p = tensor.zeros{2}, g = tensor.zeros{2}, lr = 1, lrr = 2}", "unknown field 'lrr' (the kernel reads: p, g, lr)"),
            ("K(5)", "bad argument #2 to 'kernel' (table {p = ..., g = ..., lr = ...} expected, got number)"),
            ("optim.kernel{tensors = {'p'}, body = function(t) return {p = t.q} end}", "unknown tensor 'q' (declared: p)"),
            ("optim.kernel{tensors = {'p'}, body = function(t) if t.p < 0 then end end}", "expressions cannot be compared"),
            ("optim.kernel{tensors = {'p'}, body = function(t) return {p = t.p:foo()} end}", "expressions have no method 'foo'"),
            ("optim.kernel{tensors = {'p'}, body = function(t) return {p = t.p + 'x'} end}", "kernel expressions combine symbols and numbers, got string"),
            ("optim.kernel{tensors = {'p'}, body = function(t) return {} end}", "a kernel must write at least one tensor"),
            ("optim.kernel{tensors = {'p'}, bdy = 1}", "unknown field 'bdy' (known: tensors, body)"),
        ]
        for (code, expected) in cases {
            do {
                try vm.run(code, name: "=case")
                XCTFail("no error for \(code)")
            } catch {
                XCTAssertTrue("\(error)".contains(expected), "\(code): \(error)")
            }
        }
        XCTAssertEqual(try vm.run("return 2")[0].number, 2)
    }

    /// A kernel checks what it writes for NaN/Inf in its own pass and, while a step records,
    /// says so; any later write forgets it; nothing is recorded outside a recording.
    func testKernelRecordsWhetherItsOutputsAreFinite() throws {
        let vm = try LuaVM.scripting()
        try vm.run("""
            k = optim.kernel{tensors = {"p", "g"}, body = function(t, s) return {p = t.p - s.lr * t.g} end}
            p, g = tensor.ones{100003}, tensor.ones{100003}
            """)
        guard case .tensor(let p) = vm.global("p") else { return XCTFail("no tensor") }
        func checked(_ code: String) throws -> Bool { try vm.recordingFiniteWrites { try vm.run(code) }.1.lastWriteWasFinite(p) }
        XCTAssertTrue(try checked("k{p = p, g = g, lr = 0.5}"))
        XCTAssertFalse(try checked("k{p = p, g = g, lr = 0.5}; p:add_(1)"), "an in-place op after the kernel")
        XCTAssertFalse(try checked("g:set(0/0, 77777); k{p = p, g = g, lr = 0.5}"), "a NaN written by the kernel")
        XCTAssertFalse(try checked("g:fill_(1); k{p = p, g = g, lr = 0.5}; p:set(1, 1)"), "t:set after the kernel")
        XCTAssertFalse(try checked("k{p = p, g = g, lr = 0.5}; k{p = g, g = p, lr = 0.5}; p:set(1, 1)"), "another tensor written last")
        XCTAssertTrue(try checked("p:fill_(1); g:fill_(1); k{p = p, g = g, lr = 0.5}"), "the kernel written last")
        XCTAssertFalse(try vm.recordingFiniteWrites { try vm.run("p:add_(1)") }.1.lastWriteWasFinite(p), "no kernel in this recording")
        XCTAssertFalse(try vm.recordingFiniteWrites { try vm.run("k{p = g, g = p, lr = 0.5}") }.1.lastWriteWasFinite(p), "the kernel wrote g")
    }

    /// The finite check sees every element a kernel writes, the last one of a length with a tail
    /// too, on the direct path (an instruction writing its tensor) and the staged one (a copy),
    /// and never the storage's padding past the last element, whatever it holds.
    func testFiniteCheckCoversEveryWrittenElementAndNoPadding() throws {
        let scale = try ElementwiseProgram(tensors: ["p", "g"], scalars: ["lr"],
                                           nodes: [.tensor(0), .tensor(1), .scalar(0), .apply(.mul, [2, 1]), .apply(.sub, [0, 3])],
                                           outputs: [(tensor: 0, node: 4)])
        let swap = try ElementwiseProgram(tensors: ["a", "b"], scalars: [], nodes: [.tensor(0), .tensor(1)],
                                          outputs: [(tensor: 0, node: 1), (tensor: 1, node: 0)])
        for n in [1, 15, 16, 17, 1003, 70_001] {
            let p = Tensor(zeros: [n]), g = Tensor(zeros: [n])
            let padding = (n + 15) / 16 * 16
            for i in n..<padding { p.data[i] = .nan; g.data[i] = .infinity }
            XCTAssertTrue(try scale.run(tensors: [p, g], scalars: [0.5]).allFinite, "n = \(n): padding is not checked")
            XCTAssertTrue(try swap.run(tensors: [p, g], scalars: []).allFinite, "n = \(n): padding is not checked (staged)")
            for bad: Float in [.nan, .infinity, -.infinity] {
                for i in Set([0, n / 2, n - 1]) {
                    p.data[i] = 0; g.data[i] = bad
                    XCTAssertFalse(try scale.run(tensors: [p, g], scalars: [0.5]).allFinite, "n = \(n), \(bad) at \(i)")
                    p.data[i] = 0; g.data[i] = bad
                    XCTAssertFalse(try swap.run(tensors: [p, g], scalars: []).allFinite, "n = \(n), \(bad) at \(i) (staged)")
                    p.data[i] = 0; g.data[i] = 0
                }
            }
            p.data[n - 1] = .greatestFiniteMagnitude; g.data[n - 1] = -.greatestFiniteMagnitude
            XCTAssertTrue(try swap.run(tensors: [p, g], scalars: []).allFinite, "n = \(n): the largest finite values")
        }
    }
}
