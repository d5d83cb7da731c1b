/// `optim.lookahead(inner, {k = 5, alpha = 0.5})` (Zhang et al. 2019): the inner optimizer
/// takes k fast steps; then the slow weights move toward the fast ones,
/// `slow += alpha * (fast - slow)`, and the fast weights restart from them. The parameters hold
/// the fast weights; the slow ones start as the parameters before the first step. The inner
/// optimizer keeps its state across the k-step cycles (the paper's default).
public final class Lookahead: Optimizer {
    public let inner: Optimizer
    private var own: Hyperparameters
    private var slow: [Tensor] = []
    private var count = 0

    public init(_ inner: Optimizer, k: Double = 5, alpha: Double = 0.5) throws {
        self.inner = inner
        own = Hyperparameters(owner: "lookahead", defaults: [("lookahead_k", .number(k)), ("lookahead_alpha", .number(alpha))])
        try Self.validate(own)
        for (key, _) in own.pairs where inner.hyper[key] != nil {
            throw DescentError("optim.lookahead", "\(inner.name) already has a hyperparameter '\(key)'")
        }
    }

    static func validate(_ h: Hyperparameters) throws {
        guard h.number("lookahead_k").exactInteger(in: 1...(1 << 30)) != nil else {
            throw DescentError.argument("lookahead", "k", "must be an integer >= 1, got \(h.number("lookahead_k"))")
        }
        try h.require("lookahead_alpha", min: 0, max: 1)
    }

    public var name: String { "lookahead(\(inner.name))" }
    public var description: String { "optim.lookahead(\(inner.description), \(own))" }
    public var hyper: Hyperparameters { Hyperparameters(owner: name, defaults: inner.hyper.pairs + own.pairs) }

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        guard own[key] != nil else { return try inner.setHyper(key, value) }
        var h = own
        try h.set(key, value)
        try Self.validate(h)
        own = h
    }

    public func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try checkStepArguments(params, grads, previous: inner.stateCount)
        if slow.isEmpty { slow = params.map { $0.clone() } }
        try inner.step(params, grads)
        count += 1
        guard count % Int(own.number("lookahead_k")) == 0 else { return }
        let alpha = Float(own.number("lookahead_alpha"))
        for (s, p) in zip(slow, params) {
            try s.lerp_(p, weight: alpha)
            try p.copy_(s)
        }
    }

    public var stateCount: Int { inner.stateCount }

    public var states: [OptimizerState] {
        inner.states.enumerated().map { i, st in
            let s = OptimizerState()
            for (k, v) in st.pairs { s[k] = v }
            if i < slow.count { s["lookahead.slow"] = .tensor(slow[i]) }
            s["lookahead.count"] = .number(Double(count))
            return s
        }
    }

    public func restore(states: [OptimizerState]) throws {
        var inners: [OptimizerState] = [], slows: [Tensor] = []
        for (i, s) in states.enumerated() {
            let st = OptimizerState()
            for (k, v) in s.pairs where !k.hasPrefix("lookahead.") { st[k] = v }
            inners.append(st)
            guard let t = s.tensor("lookahead.slow") else { throw DescentError("lookahead", "state of parameter \(i + 1) has no 'lookahead.slow'") }
            slows.append(t.clone())
        }
        try inner.restore(states: inners)
        slow = slows
        count = states.first?.number("lookahead.count")?.exactInteger(in: 0...(1 << 53)) ?? 0
    }
}
