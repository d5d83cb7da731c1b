import CKernels
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
            // Channels in parallel, each summed in Double over eight fixed lanes (descent_sums).
            // Per channel, its mean at 2*ch and its variance at 2*ch + 1.
            var stats = [Double](repeating: 0, count: 2 * c)
            stats.withUnsafeMutableBufferPointer { sb in
                let st = sb.baseAddress!
                Parallel.forEach(c) { ch in
                    let (s, ss) = Self.laneTotals(images: n) { lanes, i in descent_sums(x + (i * c + ch) * plane, plane, lanes) }
                    let mu = s / Double(m)
                    st[2 * ch] = mu
                    st[2 * ch + 1] = max(ss / Double(m) - mu * mu, 0)
                }
            }
            for ch in 0..<c {
                let mu = stats[2 * ch], variance = stats[2 * ch + 1]
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
        let out = Tensor(uninitialized: input.shape)
        let y = out.data, gamma = weight.data, beta = bias.data
        mean.withUnsafeBufferPointer { mb in
            invStd.withUnsafeBufferPointer { ib in
                let mp = mb.baseAddress!, ip = ib.baseAddress!
                Parallel.forEach(n * c) { pl in
                    let ch = pl % c, off = pl * plane
                    let scale = gamma[ch] * ip[ch], shift = beta[ch] - mp[ch] * scale
                    descent_bn_apply(x + off, y + off, plane, scale, shift)
                }
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
        let gradInput = Tensor(uninitialized: input.shape)
        let gx = gradInput.data, gamma = weight.data, gw = gradWeight.data, gb = gradBias.data
        let training = isTraining
        mean.withUnsafeBufferPointer { mb in
            invStd.withUnsafeBufferPointer { ib in
                let mp = mb.baseAddress!, ip = ib.baseAddress!
                // Channels in parallel: sums over eight fixed Double lanes (descent_gradient_sums),
                // then the input gradient of the channel's planes.
                Parallel.forEach(c) { ch in
                    let mu = mp[ch], inv = ip[ch]
                    let (sumG, sumGX) = Self.laneTotals(images: n) { lanes, i in
                        let off = (i * c + ch) * plane
                        descent_gradient_sums(gy + off, x + off, mu, inv, plane, lanes)
                    }
                    gb[ch] += Float(sumG)
                    gw[ch] += Float(sumGX)
                    let g = gamma[ch], sg = Float(sumG), sgx = Float(sumGX)
                    for i in 0..<n {
                        let off = (i * c + ch) * plane
                        if training {
                            descent_bn_gradient(gy + off, x + off, gx + off, plane, mu, inv, m, sg, sgx, g * inv / m)
                        } else {
                            for j in 0..<plane { gx[off + j] = g * inv * gy[off + j] }
                        }
                    }
                }
            }
        }
        return gradInput
    }

    /// A channel's two sums over the batch: `add(lanes, i)` adds image i into sixteen Double
    /// lanes (`descent_sums`, `descent_gradient_sums`); returns lanes 0..<8 and 8..<16, each
    /// totalled in lane order.
    private static func laneTotals(images n: Int, _ add: (UnsafeMutablePointer<Double>, Int) -> Void) -> (Double, Double) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 16) { l in
            let lanes = l.baseAddress!
            lanes.initialize(repeating: 0, count: 16)
            for i in 0..<n { add(lanes, i) }
            var a = 0.0, b = 0.0
            for j in 0..<8 { a += lanes[j]; b += lanes[8 + j] }
            return (a, b)
        }
    }
}
