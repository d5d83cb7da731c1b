/// `optim.ema(decay)`: Polyak averaging of the weights after each update,
/// `average = decay * average + (1 - decay) * p`, starting from the weights after the first
/// update (TF `ExponentialMovingAverage` without its step-dependent decay). With `ema_dynamic`
/// (`optim.ema(decay, true)`), step t (1-based) uses `min(decay, (1 + t) / (10 + t))`, as TF's
/// `ExponentialMovingAverage` with `num_updates` (TF2 OD API's `use_moving_average`) does, so
/// early averages follow the weights instead of staying near the first ones. Training uses the
/// live weights; `swap(_:)` exchanges them with the averages for evaluation (call it again to
/// swap back), as studies do with `eval_averaged = true`.
public final class ParameterAverage: NativeTransform, WeightAverage {
    private var averages: [Tensor] = []

    public init(decay: Double, dynamic: Bool = false) throws {
        try super.init(name: "ema", stage: .afterUpdate, lazy: false, keys: [("ema_decay", .number(decay)), ("ema_dynamic", .bool(dynamic))])
    }

    /// The decay at 1-based step `step`.
    public static func decay(_ decay: Double, dynamic: Bool, step: Int) -> Double {
        dynamic ? min(decay, (1 + Double(step)) / (10 + Double(step))) : decay
    }

    public override func validate(_ h: Hyperparameters) throws { try h.require("ema_decay", min: 0, below: 1) }

    public override func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        if averages.isEmpty {
            averages = params.map { $0.clone() }
            return 1
        }
        let w = Float(1 - Self.decay(hyper.number("ema_decay"), dynamic: hyper.bool("ema_dynamic"), step: context.step))
        for (a, p) in zip(averages, params) { try a.lerp_(p, weight: w) }
        return 1
    }

    /// Exchanges the values of `params` and their averages.
    public func swap(_ params: [Tensor]) throws {
        guard averages.count == params.count else {
            throw DescentError("ema", averages.isEmpty ? "no averages yet: step first" : "\(averages.count) parameters expected, got \(params.count)")
        }
        for (a, p) in zip(averages, params) {
            guard a.shape == p.shape else { throw DescentError("ema", "parameter of shape \(formatShape(a.shape)) expected, got \(formatShape(p.shape))") }
            let saved = p.clone()
            try p.copy_(a)
            try a.copy_(saved)
        }
    }

    public override var states: [OptimizerState] {
        averages.map { a in
            let s = OptimizerState()
            s["average"] = .tensor(a)
            return s
        }
    }

    public override func restore(states: [OptimizerState]) throws {
        averages = try states.enumerated().map { i, s in
            guard let a = s.tensor("average") else { throw DescentError("ema", "state of parameter \(i + 1) has no 'average'") }
            return a.clone()
        }
    }
}

/// Weights to evaluate with instead of the live ones (`optim.ema`'s averages, Schedule-Free's
/// x): `swap` exchanges them with the parameters, and a second `swap` exchanges them back.
public protocol WeightAverage: AnyObject {
    func swap(_ params: [Tensor]) throws
}

/// An optimizer that keeps an evaluation point of its own (a Lua plugin with `average`).
public protocol AveragingOptimizer {
    var ownAverage: WeightAverage? { get }
}

extension Optimizer {
    /// The weights to evaluate with: an `optim.ema` in this optimizer's chain (also inside a
    /// lookahead), or the optimizer's own evaluation point.
    public var weightAverage: WeightAverage? {
        switch self {
        case let c as OptimizerChain: return c.average ?? c.inner.weightAverage
        case let l as Lookahead: return l.inner.weightAverage
        case let a as AveragingOptimizer: return a.ownAverage
        default: return nil
        }
    }
}
