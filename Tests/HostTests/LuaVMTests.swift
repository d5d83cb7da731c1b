import XCTest
import CLua
@testable import DescentHost
@testable import DescentCore

final class LuaVMTests: XCTestCase {
    func testValueRoundTrips() throws {
        let vm = try LuaVM.scripting()
        let t = Tensor([1, 2])
        let values: [LuaValue] = [.nil, .bool(true), .bool(false), .integer(42), .number(2.5), .string("héllo"),
                                  .array([.integer(1), .string("x")]), .table(["a": .integer(1), "b": .array([.bool(true)])]), .tensor(t)]
        for v in values {
            vm.setGlobal("v", v)
            XCTAssertEqual(vm.global("v"), v)
            XCTAssertEqual(try vm.run("return v")[0], v)
        }
    }

    /// `descent run` follows the machine's load between a script's optimizer steps: the hook
    /// runs once per `opt:step` that returned, and not on a failed one.
    func testBetweenStepsRunsAfterEachOptimizerStep() throws {
        let vm = try LuaVM.scripting()
        var calls = 0
        vm.betweenSteps = { calls += 1 }
        try vm.run("""
            local p, g = tensor.ones{4}, tensor.ones{4}
            local opt = optim.new("sgd", {lr = 0.1})
            for i = 1, 3 do opt:step({p}, {g}) end
            p:add_(1)
            """)
        XCTAssertEqual(calls, 3)
        XCTAssertThrowsError(try vm.run("optim.new('sgd'):step({tensor.ones{2}}, {tensor.ones{3}})"))
        XCTAssertEqual(calls, 3)
    }

    func testErrorsCarryFileLineAndTraceback() throws {
        let vm = try LuaVM.scripting()
        XCTAssertThrowsError(try vm.run("local function f() error('boom') end\nf()", name: "@script.lua")) {
            let e = $0 as! LuaError
            XCTAssertEqual(e.message, "script.lua:1: boom")
            XCTAssertTrue(e.traceback.hasPrefix("stack traceback:"))
            XCTAssertTrue(e.traceback.contains("script.lua:2: in main chunk"), e.traceback)
        }
        XCTAssertThrowsError(try vm.run("x = = 1", name: "@bad.lua")) {
            XCTAssertEqual(($0 as! LuaError).message, "bad.lua:1: unexpected symbol near '='")
        }
        // The VM stays usable after errors.
        XCTAssertEqual(try vm.run("return 1 + 1")[0], .integer(2))
    }

    /// An object whose deinit we can count.
    final class Probe { static var live = 0; init() { Probe.live += 1 }; deinit { Probe.live -= 1 } }

    func testFailingSwiftFunctionFreesEverything() throws {
        let vm = try LuaVM.scripting()
        vm.pushFunction("fails") { _, a in
            let probe = Probe()
            _ = probe
            throw a.fail(1, "nope")
        }
        lua_setglobal(vm.L, "fails")
        Probe.live = 0
        for _ in 0..<100 { XCTAssertThrowsError(try vm.run("fails()", name: "@f.lua")) }
        XCTAssertEqual(Probe.live, 0, "a Swift function that reported an error leaked its objects")
        XCTAssertThrowsError(try vm.run("fails()", name: "@f.lua")) {
            XCTAssertEqual(($0 as! LuaError).message, "f.lua:1: bad argument #1 to 'fails' (nope)")
        }
    }

    func testUserdataReleasedAtGCAndClose() throws {
        weak var weakTensor: Tensor?
        do {
            let vm = try LuaVM.scripting()
            let t = Tensor([1, 2, 3])
            weakTensor = t
            vm.setGlobal("t", .tensor(t))
            try vm.run("t = nil; collectgarbage(); collectgarbage()")
        }
        XCTAssertNil(weakTensor, "tensor not released by __gc")
        weak var kept: Tensor?
        do {
            let vm = try LuaVM.scripting()
            let t = Tensor([1])
            kept = t
            vm.setGlobal("t", .tensor(t))
        }
        XCTAssertNil(kept, "tensor not released at lua_close")
    }

    /// Lua sees a tensor as a few bytes of userdata; without the GC steps the host requests as
    /// tensor memory grows, this loop would hold all 400 MiB of its temporaries until the end.
    func testTemporaryTensorsAreCollectedAsTheyPileUp() throws {
        let vm = try LuaVM.scripting()
        vm.pushFunction("live_mib") { vm, _ in
            vm.push(.integer(MemoryStatistics.liveBytes >> 20))
            return 1
        }
        lua_setglobal(vm.L, "live_mib")
        let peak = try vm.run("""
            collectgarbage()
            local base, peak = live_mib(), 0
            for i = 1, 100 do
              local t = tensor.zeros{1024, 1024}   -- 4 MiB
              peak = math.max(peak, live_mib() - base)
            end
            return peak
            """, name: "=gc")
        XCTAssertLessThan(peak.first?.number ?? .infinity, 200, "MiB of tensors alive at the peak")
    }

    func testSetOverridesParse() throws {
        let o = try ScriptRunner.overrides(["steps=100", "lr=0.5", "flag=true", "name=adam"])
        XCTAssertEqual(o["steps"], .integer(100))
        XCTAssertEqual(o["lr"], .number(0.5))
        XCTAssertEqual(o["flag"], .bool(true))
        XCTAssertEqual(o["name"], .string("adam"))
        XCTAssertThrowsError(try ScriptRunner.overrides(["oops"])) { XCTAssertEqual("\($0)", "--set: key=value (one '=') expected, got 'oops'") }
    }

    /// `opt.hyper` is read and written every step of the README's loop: it must not make Swift
    /// functions (each lived as long as the VM: 1M writes grew RSS by 300 MiB).
    func testHyperProxiesMakeNoFunctions() throws {
        let vm = try LuaVM.scripting()
        try vm.run("opt = optim.new('adam'); s = schedule.new('constant', {base = 0.1})")
        let before = vm.functionCount
        try vm.run("""
            for i = 1, 10000 do
              opt.hyper.lr = 1e-3 * i
              local h = opt.hyper
              assert(h.lr == 1e-3 * i and tostring(h):find('lr') and s.hyper.base == 0.1)
              for k, v in pairs(h) do end
            end
            """)
        XCTAssertEqual(vm.functionCount, before)
        XCTAssertThrowsError(try vm.run("opt.hyper.lerning_rate = 1")) {
            XCTAssertTrue("\($0)".contains("unknown hyperparameter 'lerning_rate'"), "\($0)")
        }
    }

    /// Modules, optimizers and schedules find their methods in a table, from a Lua `__index`
    /// (one Swift crossing per method call), and still serve their fields through Swift.
    func testMethodsComeFromATable() throws {
        let vm = try LuaVM.scripting()
        try vm.run("""
            local m, opt, s = nn.Linear{input = 2, output = 3}, optim.new('adam'), schedule.new('constant', {base = 0.1})
            for _, o in ipairs({m, opt, s}) do
              assert(debug.getinfo(getmetatable(o).__index, 'S').what == 'Lua', 'a Lua __index')
            end
            assert(m.forward == nn.Conv2d{input = 3, output = 4, kernel = 3}.forward, 'one methods table')
            assert(m.weight:size(1) == 3 and m.gradBias:size(1) == 3 and m.training == true and m.needs_input_gradient)
            assert(m.nothing == nil and m[1] == nil)
            assert(opt.name == 'adam' and opt.hyper.lr == 0.001 and s.name == 'constant' and opt.step ~= nil)
            local y = nn.GELU():forward(tensor.zeros{2})
            assert(y:sum() == 0 and tostring(nn.GELU()) == 'nn.GELU')
            """)
        XCTAssertThrowsError(try vm.run("local m = nn.Linear{input = 2, output = 3}; m.forward({}, 1)")) { XCTAssertTrue("\($0)".contains("module"), "\($0)") }
    }
}
