import CKernels
import Foundation

/// Pointwise activations. Each computes `y = f(x)` and in backward `gradIn = gradOut * f'(x)`;
/// those whose derivative is cheaper from the output (sigmoid, tanh) keep the output.
public class Activation: Module {
    /// The last forward's output (used by backward where the derivative is a function of it).
    var output: Tensor?

    func check(_ input: Tensor, _ gradOutput: Tensor) throws {
        try checkGradOutput(gradOutput, input.shape, "nn.\(type(of: self))")
    }

    /// `gradOut * d(x, y)` for every element, eight at a time (see `Tensor+Elementwise`), with y
    /// the kept output (or x where none is kept).
    @inline(__always)
    func chain(_ input: Tensor, _ gradOutput: Tensor, _ d: (Float8, Float8) -> Float8) throws -> Tensor {
        try check(input, gradOutput)
        let y = (output?.shape == input.shape ? output : nil) ?? input
        let out = Tensor(uninitialized: input.shape)
        let x = input.data, yy = y.data, g = gradOutput.data, o = out.data
        Parallel.forRanges(input.count) { r in forEachVector(r) { i in o.setVector(i, g.vector(i) * d(x.vector(i), yy.vector(i))) } }
        return out
    }
}

/// `max(0, x)`.
public final class ReLU: Activation {
    public override func forward(_ input: Tensor) throws -> Tensor { input.maximum(0) }
    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try chain(input, gradOutput) { x, _ in Float8().replacing(with: 1, where: x .> 0) }
    }
}

/// `x` for x > 0, else `slope * x` (PyTorch's default slope 0.01).
public final class LeakyReLU: Activation {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public override var description: String { "nn.LeakyReLU(\(slope))" }
    public override func forward(_ input: Tensor) throws -> Tensor { let s = slope; return input.mapVectors { ($0 * s).replacing(with: $0, where: $0 .> 0) } }
    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        let s = slope
        return try chain(input, gradOutput) { x, _ in Float8(repeating: s).replacing(with: 1, where: x .> 0) }
    }
}

/// Logistic sigmoid, computed without overflow for large |x|.
@inline(__always) public func sigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
}

/// `x * sigmoid(x)` (a.k.a. swish).
public final class SiLU: Activation {
    public override func forward(_ input: Tensor) throws -> Tensor {
        if descent_vector_level() >= 1 {
            let out = Tensor(uninitialized: input.shape), x = input.data, y = out.data
            Parallel.forRanges(input.count) { r in _ = descent_silu_forward(x + r.lowerBound, y + r.lowerBound, r.count) }
            return out
        }
        return input.mapVectors { $0 * Float8.sigmoid($0) }
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        if descent_vector_level() >= 1 {
            try check(input, gradOutput)
            let out = Tensor(uninitialized: input.shape), x = input.data, g = gradOutput.data, o = out.data
            Parallel.forRanges(input.count) { r in _ = descent_silu_backward(x + r.lowerBound, g + r.lowerBound, o + r.lowerBound, r.count) }
            return out
        }
        return try chain(input, gradOutput) { x, _ in let s = Float8.sigmoid(x); return s * (1 + x * (1 - s)) }
    }
}

public final class Sigmoid: Activation {
    public override func forward(_ input: Tensor) throws -> Tensor {
        let y = input.mapVectors { Float8.sigmoid($0) }
        output = y
        return y
    }
    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        if output?.shape != input.shape { output = try forward(input) }
        return try chain(input, gradOutput) { _, y in y * (1 - y) }
    }
}

public final class Tanh: Activation {
    public override func forward(_ input: Tensor) throws -> Tensor {
        let y = input.mapVectors { $0.lanes { Foundation.tanh($0) } }
        output = y
        return y
    }
    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        if output?.shape != input.shape { output = try forward(input) }
        return try chain(input, gradOutput) { _, y in 1 - y * y }
    }
}
