/// Mean squared error `mean((x - t)^2)`.
public final class MSE: Criterion {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try sameShape(output, target)
        return total(output, target) { x, t in (x - t) * (x - t) } * reduction.scale(output.count)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try sameShape(output, target)
        let s = Float(2 * reduction.scale(output.count))
        return gradient(output, target) { x, t in (x - t) * s }
    }
}
