import DescentCore
import DescentHost

/// A Lua "transform" plugin as a chain element: `update(grads, state, hyper, params, count)`
/// sees every gradient of the step at once (so it can compute global statistics) and changes
/// them in place; `init(params, hyper)` may return one state table of tensors and numbers,
/// saved with the chain's state (under parameter 1's, as `<name>.<key>`).
final class LuaTransform: GradientTransform {
    let name: String
    let plugin: Plugin
    private(set) var hyper: Hyperparameters
    private var state: LuaReference?
    let stage = TransformStage.gradient
    let isLazy = false

    init(_ plugin: Plugin, overrides: [(String, HyperValue)]) throws {
        self.plugin = plugin
        name = plugin.name
        hyper = try plugin.hyperparameters(overrides)
        for (key, value) in hyper.pairs { try LuaOptimizer.check(name, key, value) }
    }

    var description: String { "optim.transform(\"\(name)\", \(hyper)) (\(plugin.origin))" }

    func setHyper(_ key: String, _ value: HyperValue) throws {
        try LuaOptimizer.check(name, key, value)
        try hyper.set(key, value)
    }

    func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        let (vm, table) = try plugin.lua()
        let hyperTable = try vm.strictTable(HyperMarshal.entries(hyper), owner: name)
        let lists = [LuaValue.array(grads.map { .tensor($0) }), .array(params.map { .tensor($0) })].map { vm.reference($0) }
        if state == nil {
            if try vm.fieldType(table, "init") == "function" {
                let (returned, held) = try call("init") { try vm.callHolding(table, "init", [.reference(lists[1]), .reference(hyperTable)]) }
                guard returned.typeName == "table" else { throw DescentError(plugin.place("init"), "must return a state table, returned \(returned)") }
                state = held
            } else {
                state = vm.reference(.table([:]))
            }
            _ = try read(vm, function: "init")
        }
        let returned = try call("update") {
            try vm.call(table, "update", [.reference(lists[0]), .reference(state!), .reference(hyperTable), .reference(lists[1]), .value(.integer(context.step))])[0]
        }
        guard returned == .nil else { throw DescentError(plugin.place("update"), "must change grads in place and return nothing, returned \(returned)") }
        _ = try read(vm, function: "update")
        return 1
    }

    private func call<T>(_ function: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ContextError(plugin.place(function), error) }
    }

    /// The state table as Swift values, in key order.
    private func read(_ vm: LuaVM, function: String) throws -> OptimizerState {
        let s = OptimizerState()
        guard let state else { return s }
        let values = try StateTable.read(vm, state) { DescentError(plugin.place(function), $0) }
        for key in values.keys.sorted() { s[key] = values[key] }
        return s
    }

    var states: [OptimizerState] {
        guard let state, let vm = try? state.push(name) else { return [] }
        vm.popValue()
        return (try? read(vm, function: "state")).map { [$0] } ?? []
    }

    func restore(states: [OptimizerState]) throws {
        let (vm, _) = try plugin.lua()
        guard let s = states.first else { state = nil; return }
        state = vm.reference(.table(StateTable.entries(s)))
    }
}
