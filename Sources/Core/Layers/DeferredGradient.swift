/// A module's input gradient, computed when first read.
///
/// A training loop hands the data to `backward` and drops the gradient it returns: the data
/// needs none, and for the first layer that gradient is the costliest part of its backward (the
/// RGB convolution's col2im). PyTorch and TensorFlow skip it because the data does not require a
/// gradient; Descent's contract still returns it, so `backward` from a script returns this
/// instead, and the gradient is computed only if something reads it.
///
/// The computation must not see later changes: a layer defers only what depends on the output
/// gradient (kept alive here) and its weights, of which it passes a copy (`Module.deferInputGradient`).
public final class DeferredGradient {
    public let shape: [Int]
    private var compute: (() throws -> Tensor)?
    private var value: Tensor?

    /// A gradient already computed.
    public init(_ value: Tensor) {
        shape = value.shape
        self.value = value
    }

    public init(shape: [Int], _ compute: @escaping () throws -> Tensor) {
        self.shape = shape
        self.compute = compute
    }

    /// Whether the gradient has been computed (tests, the REPL's description).
    public var isComputed: Bool { value != nil }

    /// The gradient, computed on the first call (a failed computation is tried again on the next).
    public func tensor() throws -> Tensor {
        if let value { return value }
        let t = try compute!()
        value = t
        compute = nil
        return t
    }
}

extension Module {
    /// Defers `inputGradient(weights)` with a copy of `weight` taken now, so an optimizer step
    /// before the gradient is read does not change it. When this module computes no input
    /// gradient (`needsInputGradient` false) the result is zeros, as from `backward`.
    func deferInputGradient(_ shape: [Int], weight: Tensor, _ inputGradient: @escaping (Tensor) throws -> Tensor) -> DeferredGradient {
        guard needsInputGradient else { return DeferredGradient(Tensor(zeros: shape)) }
        let snapshot = weight.clone()
        return DeferredGradient(shape: shape) { try inputGradient(snapshot) }
    }
}
