import XCTest
@testable import DescentCore

/// Each native optimizer against the equations beside its code (docs/ARCHITECTURE.md, "Optimizer conventions"), written out
/// here a second time as scalar Double recurrences, over several steps with the learning rate
/// changing between steps; plus literal values worked by hand for the convention differences.
final class OptimizerTests: XCTestCase {
    let grads: [[Double]] = [[0.5, -1.0, 2.0], [0.25, -0.5, 1.5], [-0.75, 0.1, 1.0], [1.0, 1.0, -2.0]]
    let lrs: [Double] = [0.1, 0.05, 0.2, 0.1]
    let start: [Double] = [1.0, -2.0, 0.5]

    /// Runs `opt` over the fixed gradients and learning rates; returns the parameter after each step.
    func run(_ opt: Optimizer) throws -> [[Double]] {
        let p = Tensor(start.map(Float.init))
        var out: [[Double]] = []
        for (g, lr) in zip(grads, lrs) {
            try opt.setHyper("lr", .number(lr))
            try opt.step([p], [Tensor(g.map(Float.init))])
            out.append(p.values.map(Double.init))
        }
        return out
    }

    /// Runs the scalar reference `update(p, g, lr, t, state)` elementwise.
    func reference(_ update: (inout Double, Double, Double, Int, inout [String: Double]) -> Void) -> [[Double]] {
        var p = start
        var states = start.map { _ in [String: Double]() }
        var out: [[Double]] = []
        for (t, (g, lr)) in zip(grads, lrs).enumerated() {
            for i in p.indices { update(&p[i], g[i], lr, t + 1, &states[i]) }
            out.append(p)
        }
        return out
    }

    func assertClose(_ a: [[Double]], _ b: [[Double]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (ra, rb) in zip(a, b) {
            for (x, y) in zip(ra, rb) {
                XCTAssertEqual(x, y, accuracy: 1e-6 * max(1, abs(y)), what, file: file, line: line)
            }
        }
    }

    func testSGD() throws {
        assertClose(try run(try SGD()), reference { p, g, lr, _, _ in p -= lr * g }, "sgd")
        assertClose(try run(try SGD(overrides: [("weight_decay", .number(0.1))])), reference { p, g, lr, _, _ in p -= lr * (g + 0.1 * p) }, "sgd wd")
    }

    /// Adamax as PyTorch's; the first two steps by hand: p = 1, g = 0.5, lr = 0.1 gives
    /// m = 0.05, u = 0.5, p = 1 − 0.1/0.1·0.05/0.5 = 0.9; then m = 0.095, u = 0.5 (max(0.4995,
    /// 0.5)), p = 0.9 − 0.1/0.19·0.095/0.5 = 0.8.
    func testAdamax() throws {
        assertClose(try run(try Adamax()), reference { p, g, lr, t, s in
            let m = 0.9 * (s["m"] ?? 0) + 0.1 * g, u = max(0.999 * (s["u"] ?? 0), abs(g) + 1e-8)
            (s["m"], s["u"]) = (m, u)
            p -= lr / (1 - pow(0.9, Double(t))) * m / u
        }, "adamax")
        let p = Tensor([1]), opt = try Adamax(overrides: [("lr", .number(0.1))])
        try opt.step([p], [Tensor([0.5])])
        XCTAssertEqual(p.data[0], 0.9, accuracy: 1e-7)
        try opt.step([p], [Tensor([0.5])])
        XCTAssertEqual(p.data[0], 0.8, accuracy: 1e-6)
        XCTAssertThrowsError(try Adamax(overrides: [("beta2", .number(1))])) { XCTAssertTrue("\($0)".contains("beta2"), "\($0)") }
    }

    func testMomentumForms() throws {
        let mu = 0.9
        assertClose(try run(try Momentum()), reference { p, g, lr, _, s in
            let a = mu * (s["a"] ?? 0) + g; s["a"] = a; p -= lr * a
        }, "momentum tf1")
        assertClose(try run(try Momentum(overrides: [("nesterov", .bool(true))])), reference { p, g, lr, _, s in
            let a = mu * (s["a"] ?? 0) + g; s["a"] = a; p -= lr * (g + mu * a)
        }, "momentum tf1 nesterov")
        assertClose(try run(try Momentum(overrides: [("form", .string("keras"))])), reference { p, g, lr, _, s in
            let v = mu * (s["v"] ?? 0) - lr * g; s["v"] = v; p += v
        }, "momentum keras")
        assertClose(try run(try Momentum(overrides: [("form", .string("keras")), ("nesterov", .bool(true))])), reference { p, g, lr, _, s in
            let v = mu * (s["v"] ?? 0) - lr * g; s["v"] = v; p += mu * v - lr * g
        }, "momentum keras nesterov")
    }

    func testMomentumFormsDifferWhenLearningRateChanges() throws {
        // p0 = 1, g = 1, mu = 0.9, lr 0.1 then 0.2. tf1: a = 1, 1.9; p = 0.9, 0.9 - 0.2*1.9 = 0.52.
        // keras: v = -0.1, 0.9*-0.1 - 0.2 = -0.29; p = 0.9, 0.61.
        for (form, expected) in [("tf1", [0.9, 0.52]), ("keras", [0.9, 0.61])] {
            let opt = try Momentum(overrides: [("form", .string(form))])
            let p = Tensor([1])
            var seen: [Double] = []
            for lr in [0.1, 0.2] {
                try opt.setHyper("lr", .number(lr))
                try opt.step([p], [Tensor([1])])
                seen.append(Double(p.data[0]))
            }
            XCTAssertEqual(seen[0], expected[0], accuracy: 1e-6, form)
            XCTAssertEqual(seen[1], expected[1], accuracy: 1e-6, form)
        }
    }

    func rmsReference(rho: Double, mu: Double, eps: Double, centered: Bool, inside: Bool, initial: Double, lrInMomentum: Bool,
                      decay: Double = 0) -> [[Double]] {
        reference { p, g, lr0, t, s in
            let lr = lr0 / (1 + decay * Double(t - 1))
            let sq = rho * (s["s"] ?? initial) + (1 - rho) * g * g
            s["s"] = sq
            var ms = sq
            if centered { let m = rho * (s["mg"] ?? 0) + (1 - rho) * g; s["mg"] = m; ms -= m * m }
            let d = inside ? (ms + eps).squareRoot() : ms.squareRoot() + eps
            if mu == 0 { p -= lr * g / d }
            else if lrInMomentum { let b = mu * (s["b"] ?? 0) + lr * g / d; s["b"] = b; p -= b }
            else { let b = mu * (s["b"] ?? 0) + g / d; s["b"] = b; p -= lr * b }
        }
    }

    func testRMSPropForms() throws {
        // The torch form's rho is PyTorch's default alpha, 0.99.
        assertClose(try run(try RMSProp()), rmsReference(rho: 0.99, mu: 0, eps: 1e-8, centered: false, inside: false, initial: 0, lrInMomentum: false), "torch")
        assertClose(try run(try RMSProp(overrides: [("momentum", .number(0.5)), ("centered", .bool(true))])),
                    rmsReference(rho: 0.99, mu: 0.5, eps: 1e-8, centered: true, inside: false, initial: 0, lrInMomentum: false), "torch centered momentum")
        XCTAssertEqual(try RMSProp(overrides: [("rho", .number(0.5))]).hyper["rho"], .number(0.5), "an explicit rho wins")
        XCTAssertEqual(try RMSProp(overrides: [("form", .string("keras"))]).hyper["rho"], .number(0.9), "Keras's rho")
        assertClose(try run(try RMSProp(overrides: [("form", .string("keras")), ("momentum", .number(0.5)), ("epsilon", .number(1e-3))])),
                    rmsReference(rho: 0.9, mu: 0.5, eps: 1e-3, centered: false, inside: true, initial: 0, lrInMomentum: true), "keras")
        assertClose(try run(try RMSProp(overrides: [("form", .string("tf1")), ("momentum", .number(0.9)), ("rho", .number(0.8)), ("centered", .bool(true))])),
                    rmsReference(rho: 0.8, mu: 0.9, eps: 1e-8, centered: true, inside: true, initial: 1, lrInMomentum: true), "tf1")
        // An explicit switch wins over the form.
        assertClose(try run(try RMSProp(overrides: [("form", .string("tf1")), ("initial_ms", .number(0))])),
                    rmsReference(rho: 0.9, mu: 0, eps: 1e-8, centered: false, inside: true, initial: 0, lrInMomentum: true), "tf1 with initial 0")
    }

    func testRMSPropTF1StartsMeanSquareAtOne() throws {
        // p0 = 1, g = 1, rho 0.9, lr 0.1, eps 0: tf1 s = 0.9*1 + 0.1 = 1 -> p = 0.9;
        // torch s = 0.1 -> p = 1 - 0.1/sqrt(0.1) = 0.683772.
        for (form, expected) in [("tf1", 0.9), ("torch", 1 - 0.1 / 0.1.squareRoot())] {
            let opt = try RMSProp(overrides: [("form", .string(form)), ("lr", .number(0.1)), ("epsilon", .number(0)), ("rho", .number(0.9))])
            let p = Tensor([1])
            try opt.step([p], [Tensor([1])])
            XCTAssertEqual(Double(p.data[0]), expected, accuracy: 1e-6, form)
        }
        XCTAssertEqual(try RMSProp(overrides: [("form", .string("tf1"))]).hyper["initial_ms"], .number(1))
    }

    func adamReference(tf: Bool, eps: Double = 1e-8, decoupled: Double = 0) -> [[Double]] {
        reference { p, g, lr, t, s in
            p -= lr * decoupled * p
            let m = 0.9 * (s["m"] ?? 0) + 0.1 * g, v = 0.999 * (s["v"] ?? 0) + 0.001 * g * g
            s["m"] = m; s["v"] = v
            let bc1 = 1 - pow(0.9, Double(t)), bc2 = 1 - pow(0.999, Double(t))
            if tf { p -= lr * bc2.squareRoot() / bc1 * m / (v.squareRoot() + eps) }
            else { p -= lr * (m / bc1) / ((v / bc2).squareRoot() + eps) }
        }
    }

    func testAdamForms() throws {
        assertClose(try run(try Adam()), adamReference(tf: false), "adam torch")
        assertClose(try run(try Adam(overrides: [("form", .string("tf")), ("epsilon", .number(0.1))])), adamReference(tf: true, eps: 0.1), "adam tf")
        assertClose(try run(try Adam(overrides: [("epsilon", .number(0.1))])), adamReference(tf: false, eps: 0.1), "adam torch eps 0.1")
        assertClose(try run(try NativeOptimizers.make("adamw")), adamReference(tf: false, decoupled: 0.01), "adamw")
    }

    func testAdamFirstStepIsLearningRateTimesSign() throws {
        let p = Tensor([0, 0]), opt = try Adam(overrides: [("lr", .number(0.01))])
        try opt.step([p], [Tensor([3, -0.5])])
        XCTAssertEqual(p.values[0], -0.01, accuracy: 1e-8)
        XCTAssertEqual(p.values[1], 0.01, accuracy: 1e-8)
    }

    func testPresets() throws {
        assertClose(try run(try NativeOptimizers.make("tfod_rmsprop")),
                    rmsReference(rho: 0.9, mu: 0.9, eps: 1.0, centered: false, inside: true, initial: 1, lrInMomentum: true), "tfod_rmsprop")
        assertClose(try run(try NativeOptimizers.make("tfod2_rmsprop")),
                    rmsReference(rho: 0.9, mu: 0.9, eps: 1.0, centered: false, inside: true, initial: 0, lrInMomentum: true, decay: 0.9), "tfod2_rmsprop")
        assertClose(try run(try NativeOptimizers.make("tfod_adam")), adamReference(tf: true), "tfod_adam")
        assertClose(try run(try NativeOptimizers.make("tfod_momentum")), reference { p, g, lr, _, s in
            let a = 0.9 * (s["a"] ?? 0) + g; s["a"] = a; p -= lr * a
        }, "tfod_momentum")
        for e in NativeOptimizers.all { XCTAssertFalse(e.doc.isEmpty, e.name) }
    }

    func testGlobalNormClipping() throws {
        // Two parameters with gradients (3) and (4): global norm 5, clip 1 -> gradients scaled by 1/5.
        let a = Tensor([0]), b = Tensor([0])
        let opt = try SGD(overrides: [("lr", .number(1)), ("clip_norm", .number(1))])
        try opt.step([a, b], [Tensor([3]), Tensor([4])])
        XCTAssertEqual(a.data[0], -0.6, accuracy: 1e-6)
        XCTAssertEqual(b.data[0], -0.8, accuracy: 1e-6)
        // Below the threshold, no scaling.
        try opt.setHyper("clip_norm", .number(10))
        try opt.step([a, b], [Tensor([3]), Tensor([4])])
        XCTAssertEqual(a.data[0], -3.6, accuracy: 1e-6)
    }

    func testLargeTensorsUseThreadsAndMatchSmall() throws {
        // The fused kernels split long vectors across threads; each element must not care.
        let n = 300_000
        let p = try Tensor.randn([n], seed: 3), g = try Tensor.randn([n], seed: 4)
        let small = Tensor([p.data[n - 1]]), gs = Tensor([g.data[n - 1]])
        let big = try Adam(), one = try Adam()
        for _ in 0..<3 { try big.step([p], [g]); try one.step([small], [gs]) }
        XCTAssertEqual(p.data[n - 1], small.data[0])
    }

    func testStateReadableAndStepCounted() throws {
        let opt = try Adam()
        let p = Tensor([1, 2])
        try opt.step([p], [Tensor([0.5, 0.5])])
        try opt.step([p], [Tensor([0.5, 0.5])])
        XCTAssertEqual(opt.states[0].number("step"), 2)
        XCTAssertEqual(opt.states[0].keys, ["step", "exp_avg", "exp_avg_sq"])
        XCTAssertEqual(Double(opt.states[0].tensor("exp_avg")!.data[0]), 0.1 * 0.5 * 0.9 + 0.1 * 0.5, accuracy: 1e-7)
    }

    func testCheckpointRoundTripContinuesIdentically() throws {
        let path = NSTemporaryDirectory() + "descent-opt-\(getpid()).ckpt"
        defer { unlink(path) }
        let a = try RMSProp(overrides: [("momentum", .number(0.9)), ("centered", .bool(true))])
        let pa = Tensor([1, -1, 0.5])
        for g in grads.prefix(2) { try a.step([pa], [Tensor(g.map(Float.init))]) }
        var archive = TensorArchive()
        OptimizerCheckpoint.store(a, into: &archive)
        archive["param"] = .tensor(pa)
        try archive.save(to: path)
        let loaded = try TensorArchive.load(path)
        let b = try RMSProp()
        try OptimizerCheckpoint.restore(b, from: loaded, path: path)
        let pb = try loaded.tensor("param", path: path).clone()
        for g in grads.suffix(2) {
            try a.step([pa], [Tensor(g.map(Float.init))])
            try b.step([pb], [Tensor(g.map(Float.init))])
        }
        XCTAssertEqual(pa.values, pb.values)
        XCTAssertEqual(b.hyper["centered"], .bool(true))
    }

    func testBadHyperparametersAndArguments() throws {
        XCTAssertThrowsError(try Adam(overrides: [("lerning_rate", .number(1))])) {
            XCTAssertEqual("\($0)", "adam: unknown hyperparameter 'lerning_rate' (known: lr, beta1, beta2, epsilon, form, weight_decay, clip_norm)")
        }
        XCTAssertThrowsError(try Adam(overrides: [("lr", .number(.nan))])) { XCTAssertEqual("\($0)", "adam: lr must be finite, got nan") }
        XCTAssertThrowsError(try Adam(overrides: [("beta1", .number(1))])) { XCTAssertEqual("\($0)", "adam: beta1 must be >= 0.0 and < 1.0, got 1.0") }
        XCTAssertThrowsError(try Momentum(overrides: [("form", .string("pytorch2"))])) {
            XCTAssertEqual("\($0)", "momentum: form must be one of \"tf1\", \"torch\", \"keras\", got \"pytorch2\"")
        }
        XCTAssertThrowsError(try SGD(overrides: [("lr", .string("fast"))])) { XCTAssertEqual("\($0)", "sgd: lr must be a number, got string \"fast\"") }
        let opt = try SGD()
        XCTAssertThrowsError(try opt.step([Tensor([1, 2])], [Tensor([1])])) {
            XCTAssertEqual("\($0)", "sgd.step: gradient 1 of shape [2] expected (its parameter's), got [1]")
        }
        XCTAssertThrowsError(try opt.step([Tensor([1])], [])) {
            XCTAssertEqual("\($0)", "sgd.step: one gradient per parameter expected: 1 parameters, 0 gradients")
        }
        let adam = try Adam()
        try adam.step([Tensor([1, 2])], [Tensor([1, 1])])
        XCTAssertThrowsError(try adam.step([Tensor([1, 2, 3])], [Tensor([1, 1, 1])])) {
            XCTAssertEqual("\($0)", "adam.step: parameter 1 of shape [2] expected (its state 'exp_avg'), got [3]")
        }
        XCTAssertThrowsError(try NativeOptimizers.make("adamm")) { XCTAssertTrue("\($0)".hasPrefix("optim.new: unknown optimizer 'adamm' (known: sgd, momentum")) }
    }
}
