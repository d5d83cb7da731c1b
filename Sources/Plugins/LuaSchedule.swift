import CLua
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
        let (vm, place) = try plugin.pushFunction("at")
        let L = vm.L
        let top = lua_gettop(L) - 1
        defer { lua_settop(L, top) }
        lua_pushinteger(L, lua_Integer(step))
        vm.push(HyperMarshal.lua(hyper))
        do {
            try vm.pcall(arguments: 2, results: 1)
        } catch {
            throw DescentError(place, "failed at step \(step): \(error)")
        }
        guard lua_type(L, -1) == LUA_TNUMBER else {
            throw DescentError(place, "must return a number, returned \(vm.value(at: -1)) at step \(step)")
        }
        let lr = lua_tonumberx(L, -1, nil)
        guard lr.isFinite else { throw DescentError(place, "returned \(lr) at step \(step); a learning rate must be finite") }
        return lr
    }
}
