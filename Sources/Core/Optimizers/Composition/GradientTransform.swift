/// When a transform of an `OptimizerChain` acts in a step.
public enum TransformStage {
    /// On the gradients, before the optimizer (clipping, scaling, a Lua "transform" plugin).
    case gradient
    /// On the parameters, just before the optimizer updates them (decoupled weight decay).
    case beforeUpdate
    /// On the parameters, after the update (weight averaging).
    case afterUpdate
}

/// What a transform sees of the step.
public struct TransformContext {
    /// The gradients are `grads * scale` (a factor not yet written into them).
    public let scale: Float
    /// The optimizer's learning rate this step (decoupled decay scales by it).
    public let lr: Double
    /// 1-based step count of the chain.
    public let step: Int
}

/// One element of `optim.chain{...}` before (or around) its optimizer, in the Optax sense: it
/// sees every parameter and gradient of a step at once, so global statistics (the global norm)
/// are possible. Per-parameter state, when it keeps some, is plain `OptimizerState` data, saved
/// and restored with the chain's.
public protocol GradientTransform: AnyObject, CustomStringConvertible {
    var name: String { get }
    var stage: TransformStage { get }
    /// Whether `apply` may answer with a factor instead of writing the gradients (so the chain
    /// can fold it into a native optimizer's fused pass). Others get materialised gradients.
    var isLazy: Bool { get }
    var hyper: Hyperparameters { get }
    func setHyper(_ key: String, _ value: HyperValue) throws
    /// Acts on the step; returns the factor to multiply the gradients by (1 for none).
    func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float
    var states: [OptimizerState] { get }
    func restore(states: [OptimizerState]) throws
}

extension GradientTransform {
    public var description: String { "optim.\(name)\(hyper)" }
}

/// The native transforms' shared shape: a fixed stage and a validated table.
open class NativeTransform: GradientTransform {
    public let name: String
    public let stage: TransformStage
    public let isLazy: Bool
    public private(set) var hyper: Hyperparameters

    init(name: String, stage: TransformStage, lazy: Bool, keys: [(String, HyperValue)]) throws {
        (self.name, self.stage, self.isLazy) = (name, stage, lazy)
        hyper = Hyperparameters(owner: name, defaults: keys)
        try validate(hyper)
    }

    open func validate(_ h: Hyperparameters) throws {}

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        var h = hyper
        try h.set(key, value)
        try validate(h)
        hyper = h
    }

    open func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float { 1 }
    open var states: [OptimizerState] { [] }
    open func restore(states: [OptimizerState]) throws {}
}

/// `optim.clip_by_global_norm(max_norm)`: scales every gradient by `max_norm / max(norm,
/// max_norm)`, where norm is the L2 norm of all gradients of the step together (Optax
/// `clip_by_global_norm`, TF `clip_by_global_norm`). One reading pass; the scaling is folded
/// into the optimizer's update pass.
public final class ClipByGlobalNorm: NativeTransform {
    public init(maxNorm: Double) throws {
        try super.init(name: "clip_by_global_norm", stage: .gradient, lazy: true, keys: [("max_norm", .number(maxNorm))])
    }

    public override func validate(_ h: Hyperparameters) throws { try h.require("max_norm", above: 0) }

    public override func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        Self.factor(grads, scale: context.scale, maxNorm: hyper.number("max_norm"))
    }

    /// The factor that brings the global norm of `grads * scale` down to `maxNorm` (1 below it):
    /// one reading pass. Native optimizers' `clip_norm` uses it too.
    public static func factor(_ grads: [Tensor], scale: Float, maxNorm: Double) -> Float {
        let norm = Tensor.sumOfSquares(grads).squareRoot() * Double(scale)
        return Float(maxNorm / Swift.max(norm, maxNorm))
    }
}

/// `optim.scale(f)`: multiplies the gradients by f (folded into the update pass).
public final class ScaleGradients: NativeTransform {
    public init(factor: Double) throws {
        try super.init(name: "scale", stage: .gradient, lazy: true, keys: [("scale", .number(factor))])
    }

    public override func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        Float(hyper.number("scale"))
    }
}

/// `optim.clip_by_value(v)`: clamps every gradient element to [-v, v], in place (Optax
/// `clip`, `torch.nn.utils.clip_grad_value_`).
public final class ClipByValue: NativeTransform {
    public init(limit: Double) throws {
        try super.init(name: "clip_by_value", stage: .gradient, lazy: false, keys: [("clip_value", .number(limit))])
    }

    public override func validate(_ h: Hyperparameters) throws { try h.require("clip_value", above: 0) }

    public override func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        let v = Float(hyper.number("clip_value"))
        for g in grads { g.clamp_(-v, v) }
        return 1
    }
}

/// `optim.add_decayed_weights(wd)`: decoupled weight decay (Loshchilov & Hutter), wherever it
/// stands in the chain: `p -= lr * wd * p` just before the optimizer's update, with the
/// optimizer's `lr` of that step — `chain{add_decayed_weights(wd), adam}` is AdamW (PyTorch's
/// `AdamW`, Optax's `adamw`), not Adam with L2.
public final class AddDecayedWeights: NativeTransform {
    public init(weightDecay: Double) throws {
        try super.init(name: "add_decayed_weights", stage: .beforeUpdate, lazy: false, keys: [("decoupled_weight_decay", .number(weightDecay))])
    }

    public override func validate(_ h: Hyperparameters) throws { try h.require("decoupled_weight_decay", min: 0) }

    public override func apply(_ params: [Tensor], _ grads: [Tensor], _ context: TransformContext) throws -> Float {
        let shrink = Float(1 - context.lr * hyper.number("decoupled_weight_decay"))
        if shrink != 1 { for p in params { p.mul_(shrink) } }
        return 1
    }
}
