import CLua
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

    init(_ plugin: Plugin, overrides: [(String, HyperValue)]) throws {
        self.plugin = plugin
        name = plugin.name
        hyper = try plugin.hyperparameters(overrides)
    }

    var description: String { "optim.\(name)\(hyper) (\(plugin.origin))" }

    func setHyper(_ key: String, _ value: HyperValue) throws {
        try hyper.set(key, value)
    }

    /// An error naming where the failing function is defined.
    private func fail(_ function: String, _ vm: LuaVM, _ problem: String) -> DescentError {
        guard let (_, place) = try? plugin.pushFunction(function) else { return DescentError(name, problem) }
        descent_pop(vm.L, 1)
        return DescentError(place, problem)
    }

    func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try checkStepArguments(params, grads, previous: states)
        let vm = try plugin.table!.push(name)
        let L = vm.L
        descent_pop(L, 1)
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        vm.push(HyperMarshal.lua(hyper))
        let hyperIndex = lua_gettop(L)
        if stateTables.isEmpty { try initialize(params, vm, hyperIndex) }
        for (i, (p, g)) in zip(params, grads).enumerated() {
            if let shape = stateShapes[i].values.first, shape != p.shape, stateShapes[i].values.allSatisfy({ $0 == shape }) {
                throw DescentError("\(name).step", "parameter \(i + 1) of shape \(formatShape(shape)) expected (as in earlier steps), got \(formatShape(p.shape))")
            }
            steps[i] += 1
            _ = try plugin.pushFunction("update")
            Userdata.push(vm, p)
            Userdata.push(vm, g)
            _ = try stateTables[i].push(name)
            lua_pushvalue(L, hyperIndex)
            lua_pushinteger(L, lua_Integer(steps[i]))
            do {
                try vm.pcall(arguments: 5, results: 1)
            } catch {
                steps[i] -= 1
                throw fail("update", vm, "failed on parameter \(i + 1) of shape \(formatShape(p.shape)): \(error)")
            }
            if lua_type(L, -1) != LUA_TNIL, Userdata.object(vm, at: -1, as: Tensor.self) !== p {
                throw fail("update", vm, "must change param in place and return nothing, returned \(vm.value(at: -1))")
            }
            descent_pop(L, 1)
            try checkState(i, vm)
            guard p.allFinite else {
                throw fail("update", vm, "wrote NaN or Inf into parameter \(i + 1) of shape \(formatShape(p.shape)) at step \(steps[i])")
            }
        }
    }

    private func initialize(_ params: [Tensor], _ vm: LuaVM, _ hyperIndex: Int32) throws {
        let L = vm.L
        var tables: [LuaReference] = [], shapes: [[String: [Int]]] = []
        for (i, p) in params.enumerated() {
            _ = try plugin.pushFunction("init")
            if lua_type(L, -1) == LUA_TNIL {
                descent_pop(L, 1)
                lua_createtable(L, 0, 0)
            } else {
                Userdata.push(vm, p)
                lua_pushvalue(L, hyperIndex)
                do { try vm.pcall(arguments: 2, results: 1) } catch {
                    throw fail("init", vm, "failed on parameter \(i + 1) of shape \(formatShape(p.shape)): \(error)")
                }
                guard lua_type(L, -1) == LUA_TTABLE else {
                    throw fail("init", vm, "must return a state table of tensors and numbers, returned \(vm.value(at: -1))")
                }
            }
            let state = try read(vm, function: "init")
            shapes.append(state.compactMapValues { if case .tensor(let t) = $0 { return t.shape } else { return nil } })
            tables.append(LuaReference(popping: vm))
        }
        stateTables = tables
        stateShapes = shapes
        steps = Array(repeating: 0, count: params.count)
    }

    /// The state table on top of the stack as Swift values; anything but tensors and numbers,
    /// or the reserved key `step`, is the plugin's mistake.
    private func read(_ vm: LuaVM, function: String) throws -> [String: StateValue] {
        let L = vm.L, t = lua_gettop(L)
        var out: [String: StateValue] = [:]
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            defer { descent_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING else { throw fail(function, vm, "state keys must be strings") }
            let key = String(cString: lua_tolstring(L, -2, nil))
            guard key != "step" else { throw fail(function, vm, "state key 'step' is reserved (the step count is update's 5th argument)") }
            if let tensor = Userdata.object(vm, at: -1, as: Tensor.self) {
                out[key] = .tensor(tensor)
            } else if lua_type(L, -1) == LUA_TNUMBER {
                out[key] = .number(lua_tonumberx(L, -1, nil))
            } else {
                throw fail(function, vm, "state '\(key)' must be a tensor or a number, got \(String(cString: descent_typename(L, -1)))")
            }
        }
        return out
    }

    /// After an update: the state still has its tensors, with their shapes.
    private func checkState(_ i: Int, _ vm: LuaVM) throws {
        _ = try stateTables[i].push(name)
        defer { descent_pop(vm.L, 1) }
        let state = try read(vm, function: "update")
        for (key, shape) in stateShapes[i] {
            guard case .tensor(let t) = state[key] else {
                throw fail("update", vm, "state '\(key)' of parameter \(i + 1) must stay a tensor of shape \(formatShape(shape)), got \(state[key].map { "\($0)" } ?? "nil")")
            }
            guard t.shape == shape else {
                throw fail("update", vm, "state '\(key)' of parameter \(i + 1) changed shape from \(formatShape(shape)) to \(formatShape(t.shape))")
            }
        }
    }

    var states: [OptimizerState] {
        stateTables.enumerated().map { i, ref in
            let s = OptimizerState()
            guard let vm = try? ref.push(name) else { return s }
            defer { descent_pop(vm.L, 1) }
            let values = (try? read(vm, function: "state")) ?? [:]
            for key in values.keys.sorted() { s[key] = values[key] }
            s["step"] = .number(Double(steps[i]))
            return s
        }
    }

    func restore(states: [OptimizerState]) throws {
        let vm = try plugin.table!.push(name)
        descent_pop(vm.L, 1)
        var tables: [LuaReference] = [], shapes: [[String: [Int]]] = [], counts: [Int] = []
        for s in states {
            lua_createtable(vm.L, 0, Int32(s.keys.count))
            var shape: [String: [Int]] = [:]
            for (key, value) in s.copy().pairs where key != "step" {
                switch value {
                case .tensor(let t): Userdata.push(vm, t); shape[key] = t.shape
                case .number(let n): lua_pushnumber(vm.L, n)
                }
                lua_setfield(vm.L, -2, key)
            }
            tables.append(LuaReference(popping: vm))
            shapes.append(shape)
            counts.append(Int(s.number("step") ?? 0))
        }
        stateTables = tables
        stateShapes = shapes
        steps = counts
    }
}
