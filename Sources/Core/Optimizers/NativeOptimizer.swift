/// The shared machinery of the native optimizers: hyperparameter tables built from defaults,
/// per-position state, and the two cross-cutting transforms every native optimizer offers:
///
/// - `weight_decay` (L2, coupled as in PyTorch's SGD/Adam): the gradient becomes `g + wd*p`
///   (AdamW redefines it as decoupled decay);
/// - `clip_norm` (0 = off): gradients are scaled by `clip_norm / max(global_norm, clip_norm)`,
///   where global_norm is the norm of all gradients together (TF `clip_by_global_norm`).
///
/// Both are folded into each optimizer's single fused pass: the kernel reads `g*scale + wd*p`.
/// Subclasses implement `validate()` and `update(...)`.
open class NativeOptimizer: Optimizer {
    public let name: String
    public private(set) var hyper: Hyperparameters
    public private(set) var states: [OptimizerState] = []

    /// The keys every native optimizer has.
    public static let lr = HyperKey<Double>("lr", 0.01)
    public static let weightDecay = HyperKey<Double>("weight_decay", 0)
    public static let clipNorm = HyperKey<Double>("clip_norm", 0)

    /// The cross-cutting part of every native update rule, for `descent plugins show`.
    static let commonEquations = """
          clip_norm > 0:     g *= clip_norm / max(global_norm(all g), clip_norm)   (TF clip_by_global_norm)
          weight_decay:      g += weight_decay * p   (L2, coupled, as PyTorch's SGD/Adam/RMSprop)
        """

    /// `defaults` are the optimizer's own keys; `overrides` the caller's values.
    public init(name: String, keys defaults: [(String, HyperValue)], overrides: [(String, HyperValue)]) throws {
        self.name = name
        var all = defaults
        for (k, v) in [Self.weightDecay.entry(), Self.clipNorm.entry()] where !all.contains(where: { $0.0 == k }) {
            all.append((k, v))
        }
        hyper = Hyperparameters(owner: name, defaults: all)
        try hyper.merge(overrides)
        try validate(hyper)
    }

    /// `table` with the values of `defaults` (a preset's) replacing those of the same keys.
    static func table(_ table: [(String, HyperValue)], replacing defaults: [(String, HyperValue)]) -> [(String, HyperValue)] {
        table.map { k, v in (k, defaults.last(where: { $0.0 == k })?.1 ?? v) }
    }

    /// Range checks of the whole table; called at construction and on every `setHyper`.
    open func validate(_ h: Hyperparameters) throws {
        try h.require(Self.lr.name, min: 0)
        try h.require(Self.weightDecay.name, min: 0)
        try h.require(Self.clipNorm.name, min: 0)
    }

    /// Hook for keys that imply others (RMSProp's `form`): returns the table after `key` changed.
    open func cascade(_ h: Hyperparameters, changed key: String) throws -> Hyperparameters { h }

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        var h = hyper
        try h.set(key, value)
        h = try cascade(h, changed: key)
        try validate(h)
        hyper = h
    }

    public func restore(states: [OptimizerState]) throws {
        self.states = states.map { $0.copy() }
    }

    /// Updates one parameter in place. `step` is this parameter's 1-based step count;
    /// `gradScale` is the clipping factor (1 when not clipping).
    open func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale: Float) {
        fatalError("\(type(of: self)) must override update")
    }

    public func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try step(params, grads, gradScale: 1)
    }

    /// A step on `grads * gradScale`, the factor folded into the update pass (a chain's
    /// clipping and scaling cost no pass of their own).
    public func step(_ params: [Tensor], _ grads: [Tensor], gradScale: Float) throws {
        try checkStepArguments(params, grads, previous: states.count)
        if states.isEmpty { states = params.map { _ in OptimizerState() } }
        for (i, (p, s)) in zip(params, states).enumerated() {
            for (k, v) in s.pairs {
                if case .tensor(let t) = v, t.shape != p.shape {
                    throw DescentError("\(name).step", "parameter \(i + 1) of shape \(formatShape(t.shape)) expected (its state '\(k)'), got \(formatShape(p.shape))")
                }
            }
        }
        var scale = gradScale
        let clip = hyper[Self.clipNorm]
        if clip > 0 { scale *= ClipByGlobalNorm.factor(grads, scale: gradScale, maxNorm: clip) }
        for (i, p) in params.enumerated() {
            let s = states[i]
            let t = (s.number("step")?.exactInteger(in: 0...(1 << 53)) ?? 0) + 1
            s["step"] = .number(Double(t))
            p.storage.noteWrite()
            update(p, grads[i], s, step: t, gradScale: scale)
        }
    }

    /// Throws unless `form` is one of `allowed`.
    func requireForm(_ h: Hyperparameters, _ allowed: [String]) throws {
        let f = h.string("form")   // every optimizer with forms names the key `form`
        guard allowed.contains(f) else {
            throw DescentError.argument(name, "form", "must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(f)\"")
        }
    }
}
