/// One hyperparameter value: a number, a switch or a name (`form`).
public enum HyperValue: Equatable, CustomStringConvertible {
    case number(Double), bool(Bool), string(String)
    /// A list of numbers (piecewise schedule boundaries and values).
    case list([Double])

    public var description: String {
        switch self {
        case .number(let v): return v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int(v)) : "\(v)"
        case .bool(let b): return String(b)
        case .string(let s): return "\"\(s)\""
        case .list(let l): return "{" + l.map { HyperValue.number($0).description }.joined(separator: ", ") + "}"
        }
    }

    var typeName: String {
        switch self {
        case .number: return "number"
        case .bool: return "boolean"
        case .string: return "string"
        case .list: return "list of numbers"
        }
    }
}

/// An ordered table of hyperparameters with typed access. Keys are fixed by the defaults the
/// table was made from: setting an unknown key or a value of the wrong type is an error that
/// names the owner and lists the known keys, so a misspelt `lerning_rate` never passes silently.
public struct Hyperparameters: Equatable, CustomStringConvertible {
    public private(set) var keys: [String]
    private var values: [String: HyperValue]
    /// Who these belong to (`adam`), for messages.
    public let owner: String

    public init(owner: String, defaults: [(String, HyperValue)]) {
        self.owner = owner
        keys = defaults.map(\.0)
        values = Dictionary(defaults, uniquingKeysWith: { $1 })
    }

    public subscript(key: String) -> HyperValue? { values[key] }

    /// Sets a known key; numbers must be finite.
    public mutating func set(_ key: String, _ value: HyperValue) throws {
        guard let old = values[key] else {
            throw DescentError(owner, "unknown hyperparameter '\(key)' (known: \(keys.joined(separator: ", ")))")
        }
        switch (old, value) {
        case (.number, .number(let v)):
            guard v.isFinite else { throw DescentError.argument(owner, key, "must be finite, got \(v)") }
        case (.list, .list(let l)):
            guard l.allSatisfy(\.isFinite) else { throw DescentError.argument(owner, key, "must hold finite numbers") }
        case (.bool, .bool), (.string, .string): break
        default:
            throw DescentError.argument(owner, key, "must be a \(old.typeName), got \(value.typeName) \(value)")
        }
        values[key] = value
    }

    /// Applies every pair of `overrides` (validated as `set`).
    public mutating func merge(_ overrides: [(String, HyperValue)]) throws {
        for (k, v) in overrides { try set(k, v) }
    }

    public func number(_ key: String) -> Double {
        if case .number(let v) = values[key] { return v }
        preconditionFailure("\(owner): hyperparameter \(key) is not a number")
    }

    public func bool(_ key: String) -> Bool {
        if case .bool(let v) = values[key] { return v }
        preconditionFailure("\(owner): hyperparameter \(key) is not a boolean")
    }

    public func string(_ key: String) -> String {
        if case .string(let v) = values[key] { return v }
        preconditionFailure("\(owner): hyperparameter \(key) is not a string")
    }

    public func list(_ key: String) -> [Double] {
        if case .list(let v) = values[key] { return v }
        preconditionFailure("\(owner): hyperparameter \(key) is not a list")
    }

    /// Pairs in key order.
    public var pairs: [(String, HyperValue)] { keys.map { ($0, values[$0]!) } }

    public var description: String { "{" + pairs.map { "\($0) = \($1)" }.joined(separator: ", ") + "}" }

    /// Throws unless `key` lies in the closed or half-open range described.
    public func require(_ key: String, min lo: Double? = nil, max hi: Double? = nil, below: Double? = nil, above: Double? = nil) throws {
        let v = number(key)
        var ok = true
        var bounds: [String] = []
        if let lo { ok = ok && v >= lo; bounds.append(">= \(lo)") }
        if let above { ok = ok && v > above; bounds.append("> \(above)") }
        if let hi { ok = ok && v <= hi; bounds.append("<= \(hi)") }
        if let below { ok = ok && v < below; bounds.append("< \(below)") }
        guard ok else { throw DescentError.argument(owner, key, "must be \(bounds.joined(separator: " and ")), got \(v)") }
    }
}
