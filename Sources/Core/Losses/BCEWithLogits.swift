import Foundation

/// Binary cross-entropy on logits, elementwise against targets in [0, 1], in the stable form
/// `max(x,0) - x*t + log(1 + exp(-|x|))` (PyTorch `BCEWithLogitsLoss`).
public final class BCEWithLogits: Criterion {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try sameShape(output, target)
        return total(output, target) { x, t in Swift.max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
            * reduction.scale(output.count)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try sameShape(output, target)
        let s = Float(reduction.scale(output.count))
        return gradient(output, target) { x, t in (sigmoid(x) - t) * s }
    }
}
