/// Fully connected layer: `y = x W^T + b` with weight `[out, in]` (PyTorch layout) on `[N, in]`.
public final class Linear: Module {
    public let inFeatures, outFeatures: Int
    public let weight, gradWeight: Tensor
    public let bias, gradBias: Tensor?

    public init(input: Int, output: Int, bias: Bool = true, rng: inout RandomGenerator) throws {
        try requirePositive(input, "nn.Linear", "input")
        try requirePositive(output, "nn.Linear", "output")
        try Tensor.checkShape([output, input], "nn.Linear")
        inFeatures = input
        outFeatures = output
        weight = Initialization.uniformFanIn([output, input], fanIn: input, rng: &rng)
        gradWeight = weight.zerosLike()
        if bias {
            let b = Initialization.uniformFanIn([output], fanIn: input, rng: &rng)
            self.bias = b
            gradBias = b.zerosLike()
        } else {
            self.bias = nil
            gradBias = nil
        }
    }

    public override var parameters: [Tensor] { [weight] + (bias.map { [$0] } ?? []) }
    public override var gradients: [Tensor] { [gradWeight] + (gradBias.map { [$0] } ?? []) }
    public override var parameterNames: [String] { bias == nil ? ["weight"] : ["weight", "bias"] }
    public override var description: String { "nn.Linear(\(inFeatures) -> \(outFeatures)\(bias == nil ? ", no bias" : ""))" }

    private func batch(_ input: Tensor) throws -> Int {
        guard input.rank == 2, input.shape[1] == inFeatures else {
            throw DescentError.shape("nn.Linear", expected: "input of shape [N,\(inFeatures)]", got: input.shape)
        }
        return input.shape[0]
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let n = try batch(input)
        try Tensor.checkShape([n, outFeatures], "nn.Linear")
        let out = Tensor(zeros: [n, outFeatures])
        if let b = bias {
            for i in 0..<n { (out.data + i * outFeatures).update(from: b.data, count: outFeatures) }
        }
        gemm(transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1, a: input.data, lda: inFeatures,
             b: weight.data, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)
        return out
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try backwardDeferringInputGradient(input, gradOutput).tensor()
    }

    public override func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor) throws -> DeferredGradient {
        try backwardParameters(input, gradOutput)
        let weight = self.weight
        return deferInputGradient(input.shape, weight: weight, gradOutput: gradOutput, op: "nn.Linear.backward") { [self] in
            inputGradient(gradOutput, weight: weight, shape: input.shape)
        }
    }

    /// Accumulates the weight and bias gradients.
    private func backwardParameters(_ input: Tensor, _ gradOutput: Tensor) throws {
        let n = try batch(input)
        try checkGradOutput(gradOutput, [n, outFeatures], "nn.Linear")
        gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n, alpha: 1, a: gradOutput.data, lda: outFeatures,
             b: input.data, ldb: inFeatures, beta: 1, c: gradWeight.data, ldc: inFeatures)
        if let gb = gradBias {
            for i in 0..<n {
                let row = gradOutput.data + i * outFeatures
                for o in 0..<outFeatures { gb.data[o] += row[o] }
            }
        }
    }

    /// `gradOutput · weight`.
    private func inputGradient(_ gradOutput: Tensor, weight: Tensor, shape: [Int]) -> Tensor {
        let gradInput = Tensor(zeros: shape)
        gemm(transposeA: false, transposeB: false, m: gradOutput.shape[0], n: inFeatures, k: outFeatures, alpha: 1, a: gradOutput.data, lda: outFeatures,
             b: weight.data, ldb: inFeatures, beta: 0, c: gradInput.data, ldc: inFeatures)
        return gradInput
    }
}
