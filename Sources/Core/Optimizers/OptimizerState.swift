/// One value of an optimizer's per-parameter state.
public enum StateValue {
    case tensor(Tensor), number(Double)
}

/// The state an optimizer keeps for one parameter: named tensors (moments, buffers) and
/// numbers (the step count), in insertion order. It is plain data, so the REPL can show it and
/// a checkpoint can save it; the tensors are the optimizer's own, not copies.
public final class OptimizerState {
    public private(set) var keys: [String] = []
    private var values: [String: StateValue] = [:]

    public init() {}

    public subscript(key: String) -> StateValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    public func tensor(_ key: String) -> Tensor? {
        if case .tensor(let t) = values[key] { return t }
        return nil
    }

    public func number(_ key: String) -> Double? {
        if case .number(let v) = values[key] { return v }
        return nil
    }

    /// The tensor at `key`, created as zeros like `param` (or filled with `initial`) on first use.
    public func tensor(_ key: String, like param: Tensor, initial: Float = 0) -> Tensor {
        if let t = tensor(key), t.shape == param.shape { return t }
        let t = param.zerosLike()
        if initial != 0 { t.fill_(initial) }
        self[key] = .tensor(t)
        return t
    }

    public var pairs: [(String, StateValue)] { keys.map { ($0, values[$0]!) } }

    /// A deep copy (checkpoints restore into fresh state, never alias the saved one).
    public func copy() -> OptimizerState {
        let c = OptimizerState()
        for (k, v) in pairs {
            switch v {
            case .tensor(let t): c[k] = .tensor(t.clone())
            case .number(let n): c[k] = .number(n)
            }
        }
        return c
    }
}
