/// A loss in the Torch7 `nn` criterion shape: `forward(output, target)` returns the loss as a
/// number, `backward(output, target)` its gradient with respect to `output`.
/// Every loss here is a mean over elements (or over samples for cross-entropy) unless a
/// `reduction` says otherwise.
open class Criterion: CustomStringConvertible {
    public init() {}
    open func forward(_ output: Tensor, _ target: Tensor) throws -> Double { fatalError("\(type(of: self)) must override forward") }
    open func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor { fatalError("\(type(of: self)) must override backward") }
    open var description: String { "nn.\(type(of: self))()" }

    /// Throws unless output and target have one shape.
    func sameShape(_ output: Tensor, _ target: Tensor) throws {
        guard output.shape == target.shape else {
            throw DescentError(String(description.prefix { $0 != "(" }), "target of shape \(formatShape(output.shape)) expected (the output's), got \(formatShape(target.shape))")
        }
    }

    /// Sums `f(x, t)` over all elements in Double, for the elementwise losses.
    func total(_ output: Tensor, _ target: Tensor, _ f: (Double, Double) -> Double) -> Double {
        var s = 0.0
        for i in 0..<output.count { s += f(Double(output.data[i]), Double(target.data[i])) }
        return s
    }

    /// A new tensor of `g(x, t)` for every element.
    func gradient(_ output: Tensor, _ target: Tensor, _ g: (Float, Float) -> Float) -> Tensor {
        let out = output.zerosLike()
        for i in 0..<output.count { out.data[i] = g(output.data[i], target.data[i]) }
        return out
    }
}

/// How an elementwise loss reduces: the mean over elements, or the sum.
public enum Reduction: String {
    case mean, sum
    func scale(_ count: Int) -> Double { self == .mean ? 1 / Double(max(count, 1)) : 1 }
}
