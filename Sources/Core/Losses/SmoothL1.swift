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

    /// The loss of one difference `d = x - t`, and its derivative (the detection loss reuses them).
    func element(_ d: Double) -> Double {
        let a = Swift.abs(d)
        return a < beta ? 0.5 * a * a / beta : a - 0.5 * beta
    }

    func derivative(_ d: Double) -> Double { Swift.abs(d) < beta ? d / beta : (d > 0 ? 1 : -1) }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try sameShape(output, target)
        return total(output, target) { x, t in element(x - t) } * reduction.scale(output.count)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try sameShape(output, target)
        let s = reduction.scale(output.count)
        return gradient(output, target) { x, t in Float(derivative(Double(x - t)) * s) }
    }
}
