import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins

final class LuaOptimizerTests: PluginTestCase {
    /// Runs `native` and `lua` side by side for 100 steps on random parameters and gradients,
    /// with the learning rate following a schedule; returns the worst difference relative to the
    /// largest parameter.
    func divergence(_ native: Optimizer, _ lua: Optimizer, schedule: Schedule) throws -> Double {
        let shapes = [[16, 3, 3, 3], [16], [37]]
        let a = try shapes.enumerated().map { try Tensor.randn($1, seed: UInt64($0 + 1)) }
        let b = a.map { $0.clone() }
        for step in 0..<100 {
            let lr = HyperValue.number(try schedule.at(step))
            try native.setHyper("lr", lr)
            try lua.setHyper("lr", lr)
            let grads = try shapes.enumerated().map { try Tensor.randn($1, seed: UInt64(1000 * step + $0)) }
            try native.step(a, grads)
            try lua.step(b, grads)
        }
        var worst = 0.0
        for (x, y) in zip(a, b) {
            let scale = Double(x.values.map(abs).max()!)
            for (u, v) in zip(x.values, y.values) { worst = max(worst, Double(abs(u - v)) / scale) }
        }
        return worst
    }

    func testLuaReferencesMatchNativesOver100Steps() throws {
        let (_, registry) = boot()
        let schedule = try registry.makeSchedule("warmup_cosine", [("peak_value", .number(0.05)), ("warmup_steps", .number(10)), ("decay_steps", .number(100))])
        let cases: [(String, String, [(String, HyperValue)])] = [
            ("momentum", "lua_momentum", []),
            ("momentum", "lua_momentum", [("nesterov", .bool(true)), ("weight_decay", .number(1e-2))]),
            ("rmsprop", "lua_rmsprop", []),
            ("rmsprop", "lua_rmsprop", [("momentum", .number(0.9)), ("centered", .bool(true))]),
            ("adam", "lua_adam", []),
            ("adam", "lua_adam", [("weight_decay", .number(1e-2)), ("beta2", .number(0.99))]),
        ]
        for (native, lua, hyper) in cases {
            let d = try divergence(try registry.makeOptimizer(native, hyper), try registry.makeOptimizer(lua, hyper), schedule: schedule)
            XCTAssertLessThanOrEqual(d, 1e-6, "\(lua) \(hyper) drifts from \(native)")
        }
    }

    /// Two steps on p = {1, -2} with gradients {0.5, -1.5} then {-0.25, 2}, against values
    /// worked from each optimizer's equations (the header of its file) in float64.
    func testNewOptimizersAgainstHandComputedSteps() throws {
        let (_, registry) = boot()
        let cases: [(String, [(String, HyperValue)], [Double])] = [
            // Lion: c = 0.1*g1 -> sign; p = 1 - 0.1*(1 + 0.1) = 0.89; m = 0.005; c = 0.9*0.005 - 0.025 < 0 -> p = 0.89 - 0.1*(-1 + 0.089).
            ("lion", [("lr", .number(0.1)), ("weight_decay", .number(0.1))], [0.9811, -1.9612]),
            ("adabelief", [("lr", .number(0.1))], [0.86051881, -1.90939283]),
            ("nadam", [("lr", .number(0.1))], [0.935465796, -1.97418526]),
            // RAdam's first steps are plain bias-corrected momentum (rho_t <= 5): 1 - 0.1*0.5 = 0.95, ...
            ("radam", [("lr", .number(0.1))], [0.939473684, -1.88421053]),
            ("adagrad", [("lr", .number(0.1)), ("lr_decay", .number(0.5)), ("initial_accumulator_value", .number(0.1))], [0.941434539, -1.95506251]),
            ("adadelta", [], [0.998922873, -2.00048162]),
            // Signum: m = 0.05 -> p = 0.9; m = 0.02 -> p = 0.8. m = -0.15 -> -1.9; m = 0.065 -> -2.
            ("signum", [("lr", .number(0.1))], [0.8, -2]),
            ("adabound", [("lr", .number(0.1)), ("gamma", .number(0.5))], [0.981, -1.968]),
        ]
        for (name, hyper, expected) in cases {
            let opt = try registry.makeOptimizer(name, hyper)
            let p = Tensor([1, -2])
            try opt.step([p], [Tensor([0.5, -1.5])])
            try opt.step([p], [Tensor([-0.25, 2])])
            for (got, want) in zip(p.values, expected) {
                XCTAssertEqual(Double(got), want, accuracy: 2e-6 * max(1, abs(want)), name)
            }
        }
    }

    /// RAdam switches to the rectified adaptive step once rho_t > 5 (step 6 with beta2 = 0.999).
    func testRAdamRectifiedBranch() throws {
        let (_, registry) = boot()
        let opt = try registry.makeOptimizer("radam", [("lr", .number(0.1))])
        let p = Tensor([1])
        let expected = [0.95, 0.939473684, 0.914381433, 0.903855117, 0.883689554, 0.883001842, 0.881563717]
        for (t, want) in expected.enumerated() {
            try opt.step([p], [Tensor([t % 2 == 0 ? 0.5 : -0.25])])
            XCTAssertEqual(Double(p[flat: 0]), want, accuracy: 1e-6, "step \(t + 1)")
        }
    }

    /// A Lua optimizer's state (tensors and numbers) saved mid-run and restored into a fresh
    /// optimizer continues with identical results.
    func testSaveAndRestoreStateContinuesIdentically() throws {
        let (_, registry) = boot()
        for name in ["lua_adam", "nadam", "adabound", "lua_rmsprop", "adagrad"] {
            let path = NSTemporaryDirectory() + "descent-\(name)-\(UUID().uuidString).ckpt"
            let a = try registry.makeOptimizer(name, [("lr", .number(0.01))])
            let p = [try Tensor.randn([5, 3], seed: 1), try Tensor.randn([4], seed: 2)]
            func grads(_ s: Int) throws -> [Tensor] { [try Tensor.randn([5, 3], seed: UInt64(10 + s)), try Tensor.randn([4], seed: UInt64(50 + s))] }
            for s in 0..<5 { try a.step(p, try grads(s)) }
            var archive = TensorArchive()
            OptimizerCheckpoint.store(a, into: &archive)
            try archive.save(to: path)
            let q = p.map { $0.clone() }
            for s in 5..<10 { try a.step(p, try grads(s)) }

            let b = try registry.makeOptimizer(name, [("lr", .number(0.01))])
            try OptimizerCheckpoint.restore(b, from: try TensorArchive.load(path), path: path)
            XCTAssertEqual(b.states.map { $0.number("step") }, [5, 5])
            for s in 5..<10 { try b.step(q, try grads(s)) }
            XCTAssertEqual(p.map(\.values), q.map(\.values), name)
        }
    }

    func testStateReadableFromLuaAndSwift() throws {
        let (vm, registry) = boot()
        let r = try vm.run("""
            local opt = optim.new("nadam")
            local p = tensor.from{1, 2}
            opt:step(p, tensor.from{1, 1})
            local s = opt:state(1)
            return s.step, s.mu_product, s.exp_avg:get(1), tostring(opt)
            """)
        XCTAssertEqual(r[0].number, 1)
        XCTAssertEqual(r[1].number!, 0.9 * (1 - 0.5 * pow(0.96, 0.004)), accuracy: 1e-12)
        XCTAssertEqual(r[2].number!, 0.1, accuracy: 1e-7)
        XCTAssertTrue(r[3].description.contains("nadam.lua"), r[3].description)
        let opt = try registry.makeOptimizer("lion")
        try opt.step([Tensor([1, 2])], [Tensor([1, -1])])
        XCTAssertEqual(opt.states[0].keys, ["exp_avg", "step"])
        XCTAssertEqual(opt.states[0].tensor("exp_avg")?.values, [Float(1 - 0.99), Float(-(1 - 0.99))])
    }

    func testUnknownHyperparameterListsKnownOnes() throws {
        let (vm, registry) = boot()
        XCTAssertEqual(message { _ = try registry.makeOptimizer("lion", [("betta1", .number(0.9))]) },
                       "lion: unknown hyperparameter 'betta1' (known: beta1, beta2, lr, weight_decay)")
        let m = message { try vm.run("local o = optim.new('lion'); o.hyper.lrr = 1", name: "@study.lua") }
        XCTAssertTrue(m.contains("study.lua:1:") && m.contains("unknown hyperparameter 'lrr' (known: beta1, beta2, lr, weight_decay)"), m)
        XCTAssertTrue(message { _ = try registry.makeOptimizer("lion", [("lr", .string("fast"))]) }.contains("lr must be a number"))
        XCTAssertTrue(message { _ = try registry.makeOptimizer("lino") }.contains("unknown optimizer 'lino' (known: "))
    }

    /// Each way an update can go wrong fails the step with the plugin's name, its file:line and
    /// a traceback, and leaves the VM usable.
    func testBadUpdatesFailWithPluginNameAndPlace() throws {
        let body: [String: String] = [
            "raises": "error('exploded')",
            "returns": "return grad * 2",
            "reshapes": "state.m = tensor.zeros{3}",
            "retypes": "state.m = 'gone'",
            "nan": "param:fill_(0/0)",
            "kernel_nan": "optim.kernel{tensors = {'p'}, body = function(t, s) return {p = t.p / s.zero} end}{p = param, zero = 0}",
            "nan_after_kernel": "optim.kernel{tensors = {'p'}, body = function(t, s) return {p = t.p * 2} end}{p = param}; param:div_(0)",
            "misspells": "param:add_(grad, -hyper.lr * hyper.momentun)",
            "writes_hyper": "hyper.lr = 1",
        ]
        var files: [String: String] = [:]
        for (name, line) in body {
            files["\(name).lua"] = """
                return {
                  kind = "optimizer", name = "\(name)", defaults = { lr = 0.1 },
                  init = function(p) return { m = p:zeros_like() } end,
                  update = function(param, grad, state, hyper, step)
                    \(line)
                  end,
                }
                """
        }
        let dir = try directory(files)
        let (vm, registry) = boot([dir])
        let expected = [
            "raises": "raises.lua:5: exploded",
            "returns": "must change param in place and return nothing, returned tensor [2]",
            "reshapes": "state 'm' of parameter 1 changed shape from [2] (as init returned it) to [3]",
            "misspells": "misspells.lua:5: misspells: unknown hyperparameter 'momentun' (known: lr)",
            "writes_hyper": "writes_hyper.lua:5: writes_hyper: hyperparameters are read-only here ('lr'); set them with opt.hyper.lr = value",
            "retypes": "state 'm' must be a tensor or a number, got string",
            "nan": "wrote NaN or Inf into parameter 1 of shape [2] at step 1",
            "kernel_nan": "wrote NaN or Inf into parameter 1 of shape [2] at step 1",
            "nan_after_kernel": "wrote NaN or Inf into parameter 1 of shape [2] at step 1",
        ]
        for (name, text) in expected {
            let opt = try registry.makeOptimizer(name)
            let m = message { try opt.step([Tensor([1, 2])], [Tensor([1, 1])]) }
            XCTAssertTrue(m.hasPrefix("\(name).update (\(dir)/\(name).lua:4)"), m)
            XCTAssertTrue(m.contains(text), m)
        }
        let traced = message { try registry.makeOptimizer("raises").step([Tensor([1])], [Tensor([1])]) }
        XCTAssertTrue(traced.contains("stack traceback:"), traced)
        XCTAssertEqual(try vm.run("return 1 + 1")[0].number, 2)
    }

    func testPluginScheduleErrors() throws {
        let dir = try directory([
            "bad_at.lua": "return { kind = 'schedule', name = 'bad_at', at = function(step, h) if step > 2 then return 'x' end return 0.1 end }",
            "inf_at.lua": "return { kind = 'schedule', name = 'inf_at', at = function(step, h) return 1 / 0 end }",
        ])
        let (_, registry) = boot([dir])
        let s = try registry.makeSchedule("bad_at")
        XCTAssertEqual(try s.at(0), 0.1)
        XCTAssertEqual(message { _ = try s.at(3) }, "bad_at.at (\(dir)/bad_at.lua:1): must return a number, returned x at step 3")
        XCTAssertTrue(message { _ = try registry.makeSchedule("inf_at").at(0) }.contains("returned inf at step 0; a learning rate must be finite"))
    }

    /// Lua optimizers and bundled schedules refuse what natives refuse: a negative or non-finite
    /// learning rate, at creation and live; impossible schedule lengths.
    func testLuaPluginsCheckTheirHyperparameters() throws {
        let (_, registry) = boot()
        XCTAssertEqual(message { _ = try registry.makeOptimizer("lion", [("lr", .number(-1))]) }, "lion: lr must be >= 0, got -1.0")
        XCTAssertTrue(message { _ = try registry.makeOptimizer("lion", [("lr", .number(.nan))]) }.hasPrefix("lion: lr must be finite"))
        let lion = try registry.makeOptimizer("lion")
        XCTAssertEqual(message { try lion.setHyper("lr", .number(-2)) }, "lion: lr must be >= 0, got -2.0")
        XCTAssertTrue(message { _ = try registry.makeSchedule("warmup_cosine", [("decay_steps", .number(0))]).at(3) }
            .contains("warmup_cosine: 0 <= warmup_steps <= decay_steps and decay_steps >= 1 expected, got warmup_steps 100, decay_steps 0"))
        XCTAssertTrue(message { _ = try registry.makeSchedule("one_cycle", [("total_steps", .number(-5))]).at(3) }
            .contains("one_cycle: total_steps >= 2, 0 < pct_start < 1 and positive div factors expected, got total_steps -5"))
    }
}
