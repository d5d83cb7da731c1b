/// Batch normalisation over the channels of NCHW input (Ioffe & Szegedy 2015), PyTorch
/// semantics: training normalises with the batch's biased variance and updates running
/// statistics with `momentum` (0.1) using the unbiased variance; evaluation uses the running
/// statistics. `weight` (gamma) and `bias` (beta) are the affine parameters.
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    public let weight, bias, gradWeight, gradBias: Tensor
    public let runningMean, runningVar: Tensor
    /// Per-channel mean and 1/sqrt(var+eps) used by the last forward (batch or running).
    private var mean: [Float] = [], invStd: [Float] = []

    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) throws {
        try requirePositive(channels, "nn.BatchNorm2d", "channels")
        try Tensor.checkShape([channels, 8], "nn.BatchNorm2d")   // its eight per-channel tensors
        guard eps > 0, eps.isFinite else { throw DescentError.argument("nn.BatchNorm2d", "eps", "must be positive, got \(eps)") }
        guard momentum >= 0, momentum <= 1 else { throw DescentError.argument("nn.BatchNorm2d", "momentum", "must be in [0, 1], got \(momentum)") }
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Tensor(zeros: [channels]).fill_(1)
        bias = Tensor(zeros: [channels])
        gradWeight = Tensor(zeros: [channels])
        gradBias = Tensor(zeros: [channels])
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(zeros: [channels]).fill_(1)
    }

    public override var parameters: [Tensor] { [weight, bias] }
    public override var gradients: [Tensor] { [gradWeight, gradBias] }
    public override var parameterNames: [String] { ["weight", "bias"] }
    public override var buffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }
    public override var description: String { "nn.BatchNorm2d(\(channels))" }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let (n, c, h, w) = try imageDims(input, "nn.BatchNorm2d", channels: channels)
        let plane = h * w, m = n * plane
        mean = [Float](repeating: 0, count: c)
        invStd = [Float](repeating: 0, count: c)
        let x = input.data
        if isTraining {
            guard m > 1 else { throw DescentError("nn.BatchNorm2d", "more than one value per channel expected in training, got input \(formatShape(input.shape))") }
            for ch in 0..<c {
                var s = 0.0, ss = 0.0
                for i in 0..<n {
                    let p = x + (i * c + ch) * plane
                    for j in 0..<plane { let v = Double(p[j]); s += v; ss += v * v }
                }
                let mu = s / Double(m)
                let variance = max(ss / Double(m) - mu * mu, 0)
                mean[ch] = Float(mu)
                invStd[ch] = Float(1 / (variance + Double(eps)).squareRoot())
                runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * Float(mu)
                runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * Float(variance * Double(m) / Double(m - 1))
            }
        } else {
            for ch in 0..<c {
                mean[ch] = runningMean.data[ch]
                invStd[ch] = 1 / (runningVar.data[ch] + eps).squareRoot()
            }
        }
        let out = Tensor(zeros: input.shape)
        let y = out.data
        for i in 0..<n {
            for ch in 0..<c {
                let off = (i * c + ch) * plane
                let scale = weight.data[ch] * invStd[ch], shift = bias.data[ch] - mean[ch] * scale
                for j in 0..<plane { y[off + j] = x[off + j] * scale + shift }
            }
        }
        return out
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        let (n, c, h, w) = try imageDims(input, "nn.BatchNorm2d", channels: channels)
        try checkGradOutput(gradOutput, input.shape, "nn.BatchNorm2d")
        guard mean.count == c else { throw DescentError("nn.BatchNorm2d.backward", "forward must run on this input first") }
        let plane = h * w, m = Float(n * plane)
        let x = input.data, gy = gradOutput.data
        let gradInput = Tensor(zeros: input.shape)
        let gx = gradInput.data
        for ch in 0..<c {
            let mu = mean[ch], inv = invStd[ch]
            var sumG = 0.0, sumGX = 0.0
            for i in 0..<n {
                let off = (i * c + ch) * plane
                for j in 0..<plane {
                    let g = Double(gy[off + j])
                    sumG += g
                    sumGX += g * Double((x[off + j] - mu) * inv)
                }
            }
            gradBias.data[ch] += Float(sumG)
            gradWeight.data[ch] += Float(sumGX)
            let gamma = weight.data[ch]
            for i in 0..<n {
                let off = (i * c + ch) * plane
                for j in 0..<plane {
                    if isTraining {
                        let xhat = (x[off + j] - mu) * inv
                        gx[off + j] = gamma * inv / m * (m * gy[off + j] - Float(sumG) - xhat * Float(sumGX))
                    } else {
                        gx[off + j] = gamma * inv * gy[off + j]
                    }
                }
            }
        }
        return gradInput
    }
}
