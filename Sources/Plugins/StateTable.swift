import DescentCore
import DescentHost

/// A Lua plugin's state table (an optimizer's per parameter, a transform's per step) as plain
/// `OptimizerState` data and back: tensors and numbers only.
enum StateTable {
    /// The table `ref` holds; anything but string keys and tensor or number values (or the
    /// `reserved` key) is the plugin's mistake, reported through `fail`.
    static func read(_ vm: LuaVM, _ ref: LuaReference, reserved: String? = nil, fail: (String) -> Error) throws -> [String: StateValue] {
        var out: [String: StateValue] = [:]
        for (k, v) in try vm.entries(of: ref) {
            guard case .string(let key) = k else { throw fail("state keys must be strings") }
            if let reserved, key == reserved { throw fail("state key '\(key)' is reserved (the step count is update's 5th argument)") }
            switch v {
            case .tensor(let t): out[key] = .tensor(t)
            case .integer, .number: out[key] = .number(v.number!)
            default: throw fail("state '\(key)' must be a tensor or a number, got \(v.typeName)")
            }
        }
        return out
    }

    /// Copies of the values of `state` (all but `skipping`) as a table's entries, for a restored plugin.
    static func entries(_ state: OptimizerState, skipping: String? = nil) -> [String: LuaValue] {
        var entries: [String: LuaValue] = [:]
        for (key, value) in state.copy().pairs where key != skipping {
            switch value {
            case .tensor(let t): entries[key] = .tensor(t)
            case .number(let n): entries[key] = .number(n)
            }
        }
        return entries
    }
}
