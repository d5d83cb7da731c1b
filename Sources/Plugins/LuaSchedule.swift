import DescentCore
import DescentHost

/// A Lua schedule plugin as a Core `Schedule`: `at(step, hyper)` must return a finite number.
final class LuaSchedule: Schedule {
    let name: String
    let plugin: Plugin
    private(set) var hyper: Hyperparameters

    init(_ plugin: Plugin, overrides: [(String, HyperValue)]) throws {
        self.plugin = plugin
        name = plugin.name
        hyper = try plugin.hyperparameters(overrides)
    }

    var description: String { "schedule.\(name)\(hyper) (\(plugin.origin))" }

    func setHyper(_ key: String, _ value: HyperValue) throws {
        try hyper.set(key, value)
    }

    func at(_ step: Int) throws -> Double {
        guard step >= 0 else { throw DescentError.argument("\(name).at", "step", "must be >= 0, got \(step)") }
        let (vm, table) = try plugin.lua()
        let result: LuaValue
        do {
            let strict = try vm.strictTable(HyperMarshal.entries(hyper), owner: name)
            result = try vm.call(table, "at", [.value(.integer(step)), .reference(strict)])[0]
        } catch {
            throw ContextError("\(plugin.place("at")): failed at step \(step)", error)
        }
        guard let lr = result.number else {
            throw DescentError(plugin.place("at"), "must return a number, returned \(result) at step \(step)")
        }
        guard lr.isFinite else { throw DescentError(plugin.place("at"), "returned \(lr) at step \(step); a learning rate must be finite") }
        return lr
    }
}
