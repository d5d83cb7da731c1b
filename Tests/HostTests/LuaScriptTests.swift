import XCTest
@testable import DescentHost
@testable import DescentCore

/// Runs the Lua test files under Tests/HostTests/Lua: each is a script of `check(...)` calls
/// against the whole scripting contract; a failing check raises with its file:line.
final class LuaScriptTests: XCTestCase {
    func runLuaTest(_ name: String) throws {
        let dir = Bundle.module.resourceURL!.appendingPathComponent("Lua")
        let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path
        let vm = try LuaVM.scripting()
        vm.setGlobal("FIXTURES", .string(fixtures))
        vm.setGlobal("TMP", .string(NSTemporaryDirectory()))
        try vm.runFile(dir.appendingPathComponent("helpers.lua").path)
        do { try vm.runFile(dir.appendingPathComponent(name).path) } catch { XCTFail("\(error)") }
    }

    func testTensorContract() throws { try runLuaTest("tensor_test.lua") }
    func testNNContract() throws { try runLuaTest("nn_test.lua") }
    func testOptimContract() throws { try runLuaTest("optim_test.lua") }
    func testComposition() throws { try runLuaTest("compose_test.lua") }
    func testBadInput() throws { try runLuaTest("bad_input_test.lua") }

    /// The Lua-driven forward/backward equals the Swift result for the same weights.
    func testLuaLayersMatchSwift() throws {
        let vm = try LuaVM.scripting()
        let x = try Tensor.randn([2, 3, 6, 6], seed: 5)
        vm.setGlobal("x", .tensor(x))
        let r = try vm.run("""
            tensor.seed(11)
            local m = nn.Sequential{nn.Conv2d{input=3, output=4, kernel=3, stride=2, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2}, nn.Flatten(), nn.Linear{input=4, output=5}}
            local y = m:forward(x)
            local loss = nn.CrossEntropy()
            local target = tensor.from{1, 4}
            local l = loss:forward(y, target)
            local gx = m:backward(x, loss:backward(y, target))
            local params, grads = m:parameters()
            return l, gx, grads[1]
            """)
        var rng = RandomGenerator(seed: 11)
        let m = Sequential([try Conv2d(input: 3, output: 4, kernel: (3, 3), stride: (2, 2), padding: (1, 1), rng: &rng), ReLU(),
                            try MaxPool2d(kernel: (2, 2)), Flatten(), try Linear(input: 4, output: 5, rng: &rng)])
        let y = try m.forward(x)
        let target = Tensor([1, 4])
        let l = try CrossEntropy().forward(y, target)
        let gx = try m.backward(x, try CrossEntropy().backward(y, target))
        XCTAssertEqual(r[0].number!, l, accuracy: 1e-12)
        guard case .tensor(let lgx) = r[1], case .tensor(let lgw) = r[2] else { return XCTFail("tensors expected") }
        XCTAssertEqual(lgx.values, gx.values)
        XCTAssertEqual(lgw.values, m.gradients[0].values)
    }

    /// `optim.new("adam")` stepping from Lua equals the native loop, and `opt.hyper.lr` changes apply.
    func testLuaOptimizerEqualsNative() throws {
        let vm = try LuaVM.scripting()
        let p0 = try Tensor.randn([50], seed: 1)
        vm.setGlobal("p", .tensor(p0.clone()))
        try vm.run("""
            local opt = optim.new("adam", {lr = 0.01})
            for i = 1, 5 do
              if i == 3 then opt.hyper.lr = 0.05 end
              opt:step(p, tensor.randn({50}, 100 + i))
            end
            """)
        guard case .tensor(let luaP) = vm.global("p") else { return XCTFail() }
        let opt = try Adam(overrides: [("lr", .number(0.01))])
        let p = p0.clone()
        for i in 1...5 {
            if i == 3 { try opt.setHyper("lr", .number(0.05)) }
            try opt.step([p], [try Tensor.randn([50], seed: UInt64(100 + i))])
        }
        XCTAssertEqual(luaP.values, p.values)
    }
}
