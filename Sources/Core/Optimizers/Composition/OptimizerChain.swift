/// `optim.chain{t1, t2, ..., opt}`: gradient transforms applied in order, then an optimizer
/// (native or Lua), as Optax's `chain` and torch's clip-then-step. The chain is an optimizer
/// like any other: its `hyper` is the optimizer's plus every transform's (keys must not
/// collide), a schedule's `lr` reaches the optimizer, and its state (the optimizer's, plus each
/// transform's under `<transform>.<key>`) is saved and restored as one.
///
/// Factors from lazy transforms (`clip_by_global_norm`, `scale`) are multiplied together and
/// handed to a native optimizer's fused pass, so `chain{clip_by_global_norm(1), adam}` costs
/// one norm pass plus Adam's one pass; a transform that writes the gradients first gets them
/// with the pending factor written in. Transforms may change the gradient tensors in place.
public final class OptimizerChain: Optimizer {
    public let transforms: [GradientTransform]
    public let inner: Optimizer
    private var count = 0

    public init(_ transforms: [GradientTransform], _ inner: Optimizer) throws {
        self.transforms = transforms
        self.inner = inner
        var seen: [String: String] = [:]
        for (key, _) in inner.hyper.pairs { seen[key] = inner.name }
        for t in transforms {
            for (key, _) in t.hyper.pairs {
                if let other = seen.updateValue(t.name, forKey: key) {
                    throw DescentError("optim.chain", "\(t.name) and \(other) both have a hyperparameter '\(key)'")
                }
            }
        }
        if transforms.contains(where: { $0.stage == .beforeUpdate }) {
            guard case .number? = inner.hyper["lr"] else {
                throw DescentError("optim.chain", "decoupled weight decay needs an optimizer with a numeric 'lr'; \(inner.name) has none")
            }
        }
    }

    public var name: String { "chain(" + (transforms.map(\.name) + [inner.name]).joined(separator: ",") + ")" }

    public var description: String { "optim.chain{" + (transforms.map(\.description) + [inner.description]).joined(separator: ", ") + "}" }

    public var hyper: Hyperparameters {
        Hyperparameters(owner: name, defaults: inner.hyper.pairs + transforms.flatMap(\.hyper.pairs))
    }

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        if let t = transforms.first(where: { $0.hyper[key] != nil }) { return try t.setHyper(key, value) }
        guard inner.hyper[key] != nil else {
            throw DescentError(name, "unknown hyperparameter '\(key)' (known: \(hyper.keys.joined(separator: ", ")))")
        }
        try inner.setHyper(key, value)
    }

    public func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try checkStepArguments(params, grads, previous: inner.stateCount)
        count += 1
        var lr: Double { if case .number(let v)? = inner.hyper["lr"] { return v } else { return 0 } }
        var scale: Float = 1
        func materialize() {
            if scale != 1 { for g in grads { g.mul_(scale) } }
            scale = 1
        }
        for t in transforms where t.stage == .gradient {
            if !t.isLazy { materialize() }
            scale *= try t.apply(params, grads, TransformContext(scale: scale, lr: lr, step: count))
        }
        for t in transforms where t.stage == .beforeUpdate {
            _ = try t.apply(params, grads, TransformContext(scale: scale, lr: lr, step: count))
        }
        if let native = inner as? NativeOptimizer {
            try native.step(params, grads, gradScale: scale)
        } else {
            materialize()
            try inner.step(params, grads)
        }
        for t in transforms where t.stage == .afterUpdate {
            _ = try t.apply(params, grads, TransformContext(scale: 1, lr: lr, step: count))
        }
    }

    public var stateCount: Int { inner.stateCount }

    public var states: [OptimizerState] {
        let own = inner.states
        let others = transforms.map(\.states)
        return own.indices.map { i in
            // A new table: the optimizer's own state objects stay as they are.
            let s = OptimizerState()
            for (k, v) in own[i].pairs { s[k] = v }
            for (t, list) in zip(transforms, others) where i < list.count {
                for (k, v) in list[i].pairs { s["\(t.name).\(k)"] = v }
            }
            return s
        }
    }

    public func restore(states: [OptimizerState]) throws {
        var split = Array(repeating: [OptimizerState](), count: transforms.count)
        var own: [OptimizerState] = []
        for s in states {
            let mine = OptimizerState()
            let theirs = transforms.map { _ in OptimizerState() }
            for (k, v) in s.pairs {
                if let j = transforms.firstIndex(where: { k.hasPrefix($0.name + ".") }) {
                    theirs[j][String(k.dropFirst(transforms[j].name.count + 1))] = v
                } else {
                    mine[k] = v
                }
            }
            own.append(mine)
            for j in transforms.indices where !theirs[j].keys.isEmpty { split[j].append(theirs[j]) }
        }
        try inner.restore(states: own)
        for (t, list) in zip(transforms, split) { try t.restore(states: list) }
        count = Int(own.first?.number("step") ?? 0)
    }

    /// The chain's weight averages (`optim.ema`), if it has them.
    public var average: ParameterAverage? { transforms.lazy.compactMap { $0 as? ParameterAverage }.first }
}
