/// A module's input gradient, computed when first read.
///
/// A training loop hands the data to `backward` and drops the gradient it returns: the data
/// needs none, and for the first layer that gradient is the costliest part of its backward (the
/// RGB convolution's col2im). PyTorch and TensorFlow skip it because the data does not require a
/// gradient; Descent's contract still returns it, so `backwardDeferringInputGradient` returns
/// this, and the gradient is computed only if something reads it. The trainer drops it, a
/// script's `model:backward` hands it to the script.
///
/// The computation reads tensors that live on (the layer's weights, the output gradient); it
/// remembers their versions and refuses to run once any was written, as PyTorch refuses a
/// backward through a tensor modified in place: read the gradient before the optimizer step.
public final class DeferredGradient {
    public let shape: [Int]
    private var compute: (() throws -> Tensor)?
    private var value: Tensor?
    private let reads: [(tensor: Tensor, version: UInt64)]
    private let op: String

    /// A gradient already computed.
    public init(_ value: Tensor) {
        shape = value.shape
        self.value = value
        reads = []
        op = ""
    }

    /// A gradient `compute` makes from `reads` as they are now; `op` names the layer in errors.
    public init(shape: [Int], op: String, reads: [Tensor], _ compute: @escaping () throws -> Tensor) {
        self.shape = shape
        self.op = op
        self.reads = reads.map { ($0, $0.storage.version) }
        self.compute = compute
    }

    /// Whether the gradient has been computed (tests, the REPL's description).
    public var isComputed: Bool { value != nil }

    /// The gradient, computed on the first call (a failed computation is tried again on the next).
    public func tensor() throws -> Tensor {
        if let value { return value }
        guard reads.allSatisfy({ $0.tensor.storage.version == $0.version }) else {
            throw DescentError(op, "the input gradient was read after the layer's weights or gradOutput changed (an optimizer step or an in-place write since backward); it is computed when first read, so read it before changing them")
        }
        let t = try compute!()
        value = t
        compute = nil
        return t
    }
}

extension Module {
    /// Defers `inputGradient`, which reads `weight` and `gradOutput`. When this module computes no
    /// input gradient (`needsInputGradient` false) the result is zeros at once.
    func deferInputGradient(_ shape: [Int], weight: Tensor, gradOutput: Tensor, op: String,
                            _ inputGradient: @escaping () throws -> Tensor) -> DeferredGradient {
        guard needsInputGradient else { return DeferredGradient(Tensor(zeros: shape)) }
        return DeferredGradient(shape: shape, op: op, reads: [weight, gradOutput], inputGradient)
    }
}
