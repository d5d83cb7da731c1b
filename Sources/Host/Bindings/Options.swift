import CLua
import DescentCore

/// Reads a constructor's options table (`nn.Conv2d{input=3, output=16, kernel=3}`), rejecting
/// unknown keys with the list of known ones so a typo never passes silently.
struct Options {
    let a: Arguments
    let known: [String]
    let values: [String: LuaValue]

    init(_ a: Arguments, _ index: Int32 = 1, known: [String]) throws {
        self.a = a
        self.known = known
        if a.isNil(index) { values = [:]; return }
        try a.requireTable(index)
        switch LuaVM.from(a.L).value(at: index) {
        case .table(let t): values = t
        case .array(let x) where x.isEmpty: values = [:]
        default: throw a.fail(index, "table of named options expected (\(known.joined(separator: ", ")))")
        }
        for k in values.keys where !known.contains(k) {
            throw a.fail(index, "unknown option '\(k)' (known: \(known.joined(separator: ", ")))")
        }
    }

    func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
        guard let v = values[key] else {
            if let fallback { return fallback }
            throw a.fail(1, "option '\(key)' is required")
        }
        guard let d = v.number?.exactInteger(in: -(1 << 30)...(1 << 30)) else { throw a.fail(1, "option '\(key)': integer expected, got \(v)") }
        return d
    }

    func number(_ key: String, _ fallback: Double) throws -> Double {
        guard let v = values[key] else { return fallback }
        guard let d = v.number, d.isFinite else { throw a.fail(1, "option '\(key)': finite number expected, got \(v)") }
        return d
    }

    func bool(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let v = values[key] else { return fallback }
        guard case .bool(let b) = v else { throw a.fail(1, "option '\(key)': boolean expected, got \(v)") }
        return b
    }

    func string(_ key: String, _ fallback: String) throws -> String {
        guard let v = values[key] else { return fallback }
        guard case .string(let s) = v else { throw a.fail(1, "option '\(key)': string expected, got \(v)") }
        return s
    }

    /// A number or an `{h, w}` pair.
    func pair(_ key: String, _ fallback: (Int, Int)? = nil) throws -> (Int, Int) {
        guard let v = values[key] else {
            if let fallback { return fallback }
            throw a.fail(1, "option '\(key)' is required")
        }
        let range = -(1 << 30)...(1 << 30)
        if let d = v.number?.exactInteger(in: range) { return (d, d) }
        if case .array(let x) = v, x.count == 2, let h = x[0].number?.exactInteger(in: range), let w = x[1].number?.exactInteger(in: range) {
            return (h, w)
        }
        throw a.fail(1, "option '\(key)': integer or {h, w} pair expected, got \(v)")
    }

    func optionalPair(_ key: String) throws -> (Int, Int)? { values[key] == nil ? nil : try pair(key) }
}
