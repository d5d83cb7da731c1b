/// Smooth L1 (Huber-like, PyTorch `SmoothL1Loss`): `0.5 d^2 / beta` where `|d| < beta`, else
/// `|d| - 0.5 beta`, with `d = x - t`; beta defaults to 1.
public final class SmoothL1: Criterion {
    public let beta: Double
    public let reduction: Reduction

    public init(beta: Double = 1, reduction: Reduction = .mean) throws {
        guard beta > 0, beta.isFinite else { throw DescentError.argument("nn.SmoothL1", "beta", "must be positive, got \(beta)") }
        self.beta = beta
        self.reduction = reduction
    }

    public override var description: String { "nn.SmoothL1(beta \(beta))" }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try sameShape(output, target)
        let b = beta
        return total(output, target) { x, t in
            let d = Swift.abs(x - t)
            return d < b ? 0.5 * d * d / b : d - 0.5 * b
        } * reduction.scale(output.count)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try sameShape(output, target)
        let b = Float(beta), s = Float(reduction.scale(output.count))
        return gradient(output, target) { x, t in
            let d = x - t
            return (Swift.abs(d) < b ? d / b : (d > 0 ? 1 : -1)) * s
        }
    }
}
