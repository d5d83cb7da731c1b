import Foundation

/// Sigmoid focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"), elementwise on
/// logits against 0/1 targets, as torchvision's `sigmoid_focal_loss`:
///
///     p = sigmoid(x);  ce = BCE(x, t);  p_t = p*t + (1-p)*(1-t)
///     loss = alpha_t * ce * (1 - p_t)^gamma,   alpha_t = alpha*t + (1-alpha)*(1-t)
///
/// `alpha < 0` disables the class weighting. Defaults alpha 0.25, gamma 2. Detection heads
/// usually sum and divide by the number of positive anchors: use `reduction: .sum` and scale.
public final class SigmoidFocalLoss: Criterion {
    public let alpha: Double, gamma: Double
    public let reduction: Reduction

    public init(alpha: Double = 0.25, gamma: Double = 2, reduction: Reduction = .mean) throws {
        try requireFinite(alpha, "nn.FocalLoss", "alpha")
        guard alpha <= 1 else { throw DescentError.argument("nn.FocalLoss", "alpha", "must be <= 1 (or negative to disable the weighting), got \(alpha)") }
        guard gamma >= 0, gamma.isFinite else { throw DescentError.argument("nn.FocalLoss", "gamma", "must be >= 0, got \(gamma)") }
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
    }

    public override var description: String { "nn.FocalLoss(alpha \(alpha), gamma \(gamma))" }

    private func weight(_ t: Double) -> Double { alpha < 0 ? 1 : alpha * t + (1 - alpha) * (1 - t) }

    /// The loss of one logit `x` against target `t` (the detection loss reuses it).
    func element(_ x: Double, _ t: Double) -> Double {
        let p = 1 / (1 + Foundation.exp(-x))
        let ce = Swift.max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        let pt = p * t + (1 - p) * (1 - t)
        return weight(t) * ce * Foundation.pow(1 - pt, gamma)
    }

    /// d element / dx.
    func derivative(_ x: Double, _ t: Double) -> Double {
        let p = 1 / (1 + Foundation.exp(-x))
        let ce = Swift.max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        let q = 1 - (p * t + (1 - p) * (1 - t))          // 1 - p_t
        // d/dx [ce * q^gamma] = (p - t) q^gamma + ce * gamma q^(gamma-1) * dq/dx,  dq/dx = -(2t-1) p (1-p)
        var g = (p - t) * Foundation.pow(q, gamma)
        if gamma > 0, q > 0 { g -= ce * gamma * Foundation.pow(q, gamma - 1) * (2 * t - 1) * p * (1 - p) }
        return weight(t) * g
    }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try sameShape(output, target)
        return total(output, target, element) * reduction.scale(output.count)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try sameShape(output, target)
        let s = reduction.scale(output.count)
        return gradient(output, target) { x, t in Float(derivative(Double(x), Double(t)) * s) }
    }
}
