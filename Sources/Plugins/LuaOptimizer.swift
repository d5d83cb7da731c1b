import DescentCore
import DescentHost

/// A Lua optimizer plugin as a Core `Optimizer`.
///
/// Per parameter, `init(param, hyper)` builds a state table of tensors and numbers (kept in the
/// Lua registry); every step calls `update(param, grad, state, hyper, step)`, which changes
/// `param` and the state in place. After each update the bridge checks what a plugin can get
/// wrong — a return value, a state tensor that changed shape or type, NaN/Inf written into the
/// parameter — and fails the step with the plugin's name and file:line, so an experiment can
/// mark the run failed.
final class LuaOptimizer: Optimizer {
    let name: String
    let plugin: Plugin
    private(set) var hyper: Hyperparameters
    private var stateTables: [LuaReference] = []
    private var steps: [Int] = []
    /// Shapes of each parameter's state tensors after `init`, by key.
    private var stateShapes: [[String: [Int]]] = []
    /// Each parameter's shape at the first step.
    private var paramShapes: [[Int]] = []
    /// `{index = i, name = "3.weight"}` per parameter: update's 6th argument.
    private var infos: [LuaReference] = []
    /// Whether the plugin updates a whole step at once (`step`) rather than one parameter (`update`).
    private var wholeStep = false
    /// The evaluation point (`average(param, state, hyper)`), when the plugin keeps one.
    private var evaluationPoint: LuaEvaluationPoint?

    init(_ plugin: Plugin, overrides: [(String, HyperValue)]) throws {
        self.plugin = plugin
        name = plugin.name
        hyper = try plugin.hyperparameters(overrides)
        for (key, value) in hyper.pairs { try Self.check(name, key, value) }
        let (vm, table) = try plugin.lua()
        wholeStep = try vm.fieldType(table, "step") == "function"
        if try vm.fieldType(table, "average") == "function" { evaluationPoint = LuaEvaluationPoint() }
        try checkWithPlugin(hyper)
    }

    /// The plugin's own `check(hyper)`, when it has one: ranges it knows (`beta2 < 1`, `ns_steps
    /// >= 1`), checked when the optimizer is made and on every change, not at the first step.
    private func checkWithPlugin(_ h: Hyperparameters) throws {
        let (vm, table) = try plugin.lua()
        guard try vm.fieldType(table, "check") == "function" else { return }
        let hyperTable = try vm.strictTable(HyperMarshal.entries(h), owner: name)
        do {
            _ = try vm.call(table, "check", [.reference(hyperTable)])
        } catch let e as LuaError {
            throw DescentError(name, e.message)
        }
    }

    /// The checks natives make of every optimizer: numbers finite, the learning rate >= 0.
    static func check(_ name: String, _ key: String, _ value: HyperValue) throws {
        guard case .number(let v) = value else { return }
        guard v.isFinite else { throw DescentError.argument(name, key, "must be finite, got \(v)") }
        if key == "lr", v < 0 { throw DescentError.argument(name, key, "must be >= 0, got \(v)") }
    }

    var description: String { "optim.\(name)\(hyper) (\(plugin.origin))" }

    func setHyper(_ key: String, _ value: HyperValue) throws {
        try Self.check(name, key, value)
        var h = hyper
        try h.set(key, value)
        try checkWithPlugin(h)
        hyper = h
    }

    /// An error naming where the failing function is defined.
    private func fail(_ function: String, _ problem: String) -> DescentError {
        DescentError(plugin.place(function), problem)
    }

    /// An error raised inside the plugin's `function`, kept typed, with where it was defined.
    private func context(_ function: String, _ what: String, _ error: Error) -> ContextError {
        ContextError("\(plugin.place(function)): \(what)", error)
    }

    func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try checkStepArguments(params, grads, previous: stateCount)
        let (vm, table) = try plugin.lua()
        let hyperTable = try vm.strictTable(HyperMarshal.entries(hyper), owner: name)
        if stateTables.isEmpty { try initialize(params, vm, table, hyperTable) }
        if paramShapes.isEmpty { describe(params, vm) }
        for (i, p) in params.enumerated() where p.shape != paramShapes[i] {
            throw DescentError("\(name).step", "parameter \(i + 1) of shape \(formatShape(paramShapes[i])) expected (as in earlier steps), got \(formatShape(p.shape))")
        }
        if wholeStep { return try stepAll(params, grads, vm, table, hyperTable) }
        for (i, (p, g)) in zip(params, grads).enumerated() {
            steps[i] += 1
            let returned: LuaValue, kernels: FiniteWrites
            do {
                (returned, kernels) = try vm.recordingFiniteWrites {
                    try vm.call(table, "update", [.value(.tensor(p)), .value(.tensor(g)), .reference(stateTables[i]),
                                                  .reference(hyperTable), .value(.integer(steps[i])), .reference(infos[i])])[0]
                }
            } catch {
                steps[i] -= 1
                throw context("update", "failed on parameter \(i + 1) of shape \(formatShape(p.shape))", error)
            }
            switch returned {
            case .nil: break
            case .tensor(let t) where t === p: break
            default: throw fail("update", "must change param in place and return nothing, returned \(returned)")
            }
            try checkAfterUpdate(i, p, vm, kernels, function: "update")
        }
    }

    /// `step(params, grads, states, hyper, count, infos)`: one call for the whole step, so a
    /// plugin can compute global statistics (a global norm, a trust ratio over layers).
    private func stepAll(_ params: [Tensor], _ grads: [Tensor], _ vm: LuaVM, _ table: LuaReference, _ hyperTable: LuaReference) throws {
        let count = (steps.first ?? 0) + 1
        let lists = [LuaValue.array(params.map { .tensor($0) }), .array(grads.map { .tensor($0) })].map { vm.reference($0) }
        let statesList = try vm.list(stateTables), infoList = try vm.list(infos)
        let returned: LuaValue, kernels: FiniteWrites
        do {
            (returned, kernels) = try vm.recordingFiniteWrites {
                try vm.call(table, "step", [.reference(lists[0]), .reference(lists[1]), .reference(statesList), .reference(hyperTable),
                                            .value(.integer(count)), .reference(infoList)])[0]
            }
        } catch {
            throw context("step", "failed at step \(count)", error)
        }
        guard returned == .nil else { throw fail("step", "must change params in place and return nothing, returned \(returned)") }
        steps = steps.map { _ in count }
        for (i, p) in params.enumerated() { try checkAfterUpdate(i, p, vm, kernels, function: "step") }
    }

    /// After an update: the state keeps its tensors and their shapes, and the parameter holds
    /// no NaN/Inf (a fused kernel that wrote it last has checked that already, in its pass).
    private func checkAfterUpdate(_ i: Int, _ p: Tensor, _ vm: LuaVM, _ kernels: FiniteWrites, function: String) throws {
        try checkState(i, vm, function: function)
        guard kernels.lastWriteWasFinite(p) || p.allFinite else {
            throw fail(function, "wrote NaN or Inf into parameter \(i + 1) of shape \(formatShape(p.shape)) at step \(steps[i])")
        }
    }

    private func initialize(_ params: [Tensor], _ vm: LuaVM, _ table: LuaReference, _ hyperTable: LuaReference) throws {
        var tables: [LuaReference] = [], shapes: [[String: [Int]]] = []
        let hasInit = try vm.fieldType(table, "init") != "nil"
        describe(params, vm)
        for (i, p) in params.enumerated() {
            let state: LuaReference
            if hasInit {
                let returned: LuaValue
                do {
                    (returned, state) = try vm.callHolding(table, "init", [.value(.tensor(p)), .reference(hyperTable), .reference(infos[i])])
                } catch {
                    throw context("init", "failed on parameter \(i + 1) of shape \(formatShape(p.shape))", error)
                }
                guard returned.typeName == "table" else {
                    throw fail("init", "must return a state table of tensors and numbers, returned \(returned)")
                }
            } else {
                state = vm.reference(.table([:]))
            }
            let values = try read(vm, state, function: "init")
            shapes.append(values.compactMapValues { if case .tensor(let t) = $0 { return t.shape } else { return nil } })
            tables.append(state)
        }
        stateTables = tables
        stateShapes = shapes
        steps = Array(repeating: 0, count: params.count)
    }

    /// Records the step's parameters: their shapes, and the `{index, name}` tables plugins get.
    private func describe(_ params: [Tensor], _ vm: LuaVM) {
        paramShapes = params.map(\.shape)
        infos = params.enumerated().map { i, p in
            var info: [String: LuaValue] = ["index": .integer(i + 1)]
            info["name"] = p.storage.parameterName.map { .string($0) }
            return vm.reference(.table(info))
        }
    }

    /// A state table as Swift values; anything but tensors and numbers, or the reserved key
    /// `step`, is the plugin's mistake.
    private func read(_ vm: LuaVM, _ state: LuaReference, function: String) throws -> [String: StateValue] {
        try StateTable.read(vm, state, reserved: "step") { fail(function, $0) }
    }

    /// The state still has the tensors `init` returned, with their shapes.
    private func checkState(_ i: Int, _ vm: LuaVM, function: String) throws {
        let state = try read(vm, stateTables[i], function: function)
        for (key, shape) in stateShapes[i] {
            guard case .tensor(let t) = state[key] else {
                throw fail(function, "state '\(key)' of parameter \(i + 1) must stay a tensor of shape \(formatShape(shape)) (as init returned it), got \(state[key].map { "\($0)" } ?? "nil")")
            }
            guard t.shape == shape else {
                throw fail(function, "state '\(key)' of parameter \(i + 1) changed shape from \(formatShape(shape)) (as init returned it) to \(formatShape(t.shape))")
            }
        }
    }

    var stateCount: Int { stateTables.count }

    var states: [OptimizerState] {
        stateTables.enumerated().map { i, ref in
            let s = OptimizerState()
            guard let vm = try? ref.push(name) else { return s }
            vm.popValue()
            let values = (try? read(vm, ref, function: "state")) ?? [:]
            for key in values.keys.sorted() { s[key] = values[key] }
            s["step"] = .number(Double(steps[i]))
            return s
        }
    }

    func restore(states: [OptimizerState]) throws {
        let (vm, _) = try plugin.lua()
        var tables: [LuaReference] = [], shapes: [[String: [Int]]] = [], counts: [Int] = []
        for s in states {
            let entries = StateTable.entries(s, skipping: "step")
            tables.append(vm.reference(.table(entries)))
            shapes.append(entries.compactMapValues { if case .tensor(let t) = $0 { return t.shape } else { return nil } })
            counts.append(s.number("step")?.exactInteger(in: 0...(1 << 53)) ?? 0)
        }
        stateTables = tables
        stateShapes = shapes
        steps = counts
        // Shapes and names come from the parameters of the next step.
        paramShapes = []
        infos = []
    }
}

extension LuaOptimizer: AveragingOptimizer {
    var ownAverage: WeightAverage? {
        evaluationPoint?.optimizer = self
        return evaluationPoint
    }

    /// The plugin's evaluation point for parameter `i`: `average(param, state, hyper)`.
    fileprivate func average(_ i: Int, _ p: Tensor) throws -> Tensor {
        let (vm, table) = try plugin.lua()
        let hyperTable = try vm.strictTable(HyperMarshal.entries(hyper), owner: name)
        let returned: LuaValue
        do {
            returned = try vm.call(table, "average", [.value(.tensor(p)), .reference(stateTables[i]), .reference(hyperTable)])[0]
        } catch {
            throw context("average", "failed on parameter \(i + 1) of shape \(formatShape(p.shape))", error)
        }
        guard case .tensor(let x) = returned, x.shape == p.shape else {
            throw fail("average", "must return a tensor of the parameter's shape \(formatShape(p.shape)), returned \(returned)")
        }
        return x
    }

    fileprivate var parameterCount: Int { stateTables.count }
}

/// A Lua optimizer's evaluation point as a `WeightAverage`: the first `swap` puts the plugin's
/// `average` of each parameter in its place (keeping the live values), the second puts the live
/// values back (as `optim.ema`'s averages swap).
final class LuaEvaluationPoint: WeightAverage {
    weak var optimizer: LuaOptimizer?
    private var live: [Tensor]?

    func swap(_ params: [Tensor]) throws {
        guard let optimizer else { return }
        if let live {
            guard live.count == params.count else { throw DescentError(optimizer.name, "\(live.count) parameters expected, got \(params.count)") }
            for (p, y) in zip(params, live) { try p.copy_(y) }
            self.live = nil
            return
        }
        guard optimizer.parameterCount == params.count else {
            throw DescentError(optimizer.name, optimizer.parameterCount == 0 ? "no evaluation point yet: step first" : "\(optimizer.parameterCount) parameters expected, got \(params.count)")
        }
        let points = try params.enumerated().map { try optimizer.average($0.offset, $0.element) }
        live = params.map { $0.clone() }
        for (p, x) in zip(params, points) { try p.copy_(x) }
    }
}
