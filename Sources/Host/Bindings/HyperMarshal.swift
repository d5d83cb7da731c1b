import CLua
import DescentCore

/// Converts Lua values to hyperparameter values and back.
public enum HyperMarshal {
    static func hyper(_ v: LuaValue, key: String, _ a: Arguments, _ index: Int32) throws -> HyperValue {
        guard let h = hyper(v) else {
            throw a.fail(index, "hyperparameter '\(key)': number, boolean, string or list of numbers expected, got \(v)")
        }
        return h
    }

    /// The pairs of the hyperparameter table at `index` (nil or absent: none), keys sorted.
    static func pairs(_ a: Arguments, _ index: Int32) throws -> [(String, HyperValue)] {
        if a.isNil(index) { return [] }
        try a.requireTable(index)
        switch LuaVM.from(a.L).value(at: index) {
        case .table(let t): return try t.keys.sorted().map { ($0, try hyper(t[$0]!, key: $0, a, index)) }
        case .array(let x) where x.isEmpty: return []
        default: throw a.fail(index, "table of named hyperparameters expected")
        }
    }

    /// A plain Lua value as a hyperparameter, or nil when it cannot be one.
    public static func hyper(_ v: LuaValue) -> HyperValue? {
        switch v {
        case .integer, .number: return .number(v.number!)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .array(let x) where x.allSatisfy({ $0.number != nil }): return .list(x.compactMap(\.number))
        case .table(let t) where t.isEmpty: return .list([])
        default: return nil
        }
    }

    /// Every hyperparameter as a Lua table (what plugins' functions receive as `hyper`).
    public static func lua(_ h: Hyperparameters) -> LuaValue { .table(entries(h)) }

    /// The entries of that table.
    public static func entries(_ h: Hyperparameters) -> [String: LuaValue] {
        Dictionary(uniqueKeysWithValues: h.pairs.map { ($0, lua($1)) })
    }

    public static func lua(_ v: HyperValue) -> LuaValue {
        switch v {
        case .number(let d): return .number(d)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .list(let l): return .array(l.map { .number($0) })
        }
    }
}
