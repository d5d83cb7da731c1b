/// 2-D convolution over NCHW images: weight `[out, in, kh, kw]`, optional bias `[out]`.
///
/// Runs on oneDNN's primitives where oneDNN takes the shape (`DNNLConvolution`), else as below.
///
/// Each image is lowered by im2col to a `[in*kh*kw, oh*ow]` matrix and multiplied by the weight
/// with one SGEMM; images are spread over `Parallel.threads` workers, each with its own column
/// buffer and (in backward) its own weight-gradient partial, summed in a fixed order so results
/// do not depend on scheduling.
public final class Conv2d: Module {
    public let inChannels, outChannels: Int
    public let kernel, stride, padding: (h: Int, w: Int)
    public let weight, gradWeight: Tensor
    public let bias, gradBias: Tensor?

    private let columns = ScratchBuffers()
    private let partials = ScratchBuffers()
    /// The bias gradient's per-image sums (see `BiasGradient`).
    let biasGradient = BiasGradient()
    /// oneDNN primitives per input shape (a layer sees a few: training and evaluation batches),
    /// and the shapes oneDNN could not take. `usesOneDNN = false` keeps this layer on im2col.
    private var accelerated: [[Int]: DNNLConvolution] = [:]
    private var unaccelerated: Set<[Int]> = []
    public var usesOneDNN = true
    /// oneDNN's blocked kernels are slow for a few input channels (the RGB first layer on one
    /// Xeon core: forward 2.4 ms against 1.5 ms as im2col + GEMM, backward data 6-14 ms against
    /// ~1 ms), so such a layer runs those two on GEMM and only its weight gradient on oneDNN.
    private var hasFewInputChannels: Bool { inChannels < 8 }
    /// Whether the last forward fused a ReLU (backward reuses that primitive's reordered input).
    private var lastForwardFused = false
    /// Whether some input shape ran on oneDNN (for tests).
    var ranOnOneDNN: Bool { !accelerated.isEmpty }
    /// What ran the last shapes: oneDNN's kernel names, or "im2col + SGEMM".
    public var backend: String {
        accelerated.isEmpty ? "im2col + SGEMM" : "oneDNN " + Set(accelerated.values.map(\.implementation)).sorted().joined(separator: ", ")
    }

    public init(input: Int, output: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                bias: Bool = true, rng: inout RandomGenerator) throws {
        try requirePositive(input, "nn.Conv2d", "input")
        try requirePositive(output, "nn.Conv2d", "output")
        try requirePositive(kernel.0, "nn.Conv2d", "kernel")
        try requirePositive(kernel.1, "nn.Conv2d", "kernel")
        try requirePositive(stride.0, "nn.Conv2d", "stride")
        try requirePositive(stride.1, "nn.Conv2d", "stride")
        guard padding.0 >= 0, padding.1 >= 0 else { throw DescentError.argument("nn.Conv2d", "padding", "must be non-negative, got (\(padding.0), \(padding.1))") }
        try Tensor.checkShape([output, input, kernel.0, kernel.1], "nn.Conv2d")
        inChannels = input
        outChannels = output
        self.kernel = (kernel.0, kernel.1)
        self.stride = (stride.0, stride.1)
        self.padding = (padding.0, padding.1)
        let fanIn = input * kernel.0 * kernel.1
        weight = Initialization.uniformFanIn([output, input, kernel.0, kernel.1], fanIn: fanIn, rng: &rng)
        gradWeight = weight.zerosLike()
        if bias {
            let b = Initialization.uniformFanIn([output], fanIn: fanIn, rng: &rng)
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

    public override var description: String {
        "nn.Conv2d(\(inChannels) -> \(outChannels), \(kernel.h)x\(kernel.w), stride \(formatPair(stride)), pad \(formatPair(padding))\(bias == nil ? ", no bias" : ""))"
    }

    func geometry(_ input: Tensor) throws -> (n: Int, ConvGeometry) { try geometry(input.shape) }

    func geometry(_ shape: [Int]) throws -> (n: Int, ConvGeometry) {
        let (n, c, h, w) = try imageDims(shape, "nn.Conv2d", channels: inChannels)
        let g = ConvGeometry(channels: c, height: h, width: w, kernelH: kernel.h, kernelW: kernel.w,
                             strideH: stride.h, strideW: stride.w, padH: padding.h, padW: padding.w)
        guard h + 2 * padding.h >= kernel.h, w + 2 * padding.w >= kernel.w else {
            throw DescentError("nn.Conv2d", "input of \(h)x\(w) (padded \(h + 2 * padding.h)x\(w + 2 * padding.w)) is smaller than the \(kernel.h)x\(kernel.w) kernel")
        }
        return (n, g)
    }

    /// The oneDNN convolution for this input's shape (and fused ReLU or not), built on first use;
    /// nil means im2col.
    private func oneDNN(_ shape: [Int], _ g: ConvGeometry, fusedReLU: Bool) -> DNNLConvolution? {
        let key = shape + [fusedReLU ? 1 : 0]
        guard usesOneDNN, OneDNN.context != nil, !unaccelerated.contains(key) else { return nil }
        if let c = accelerated[key] { return c }
        guard let c = try? DNNLConvolution.make(batch: shape[0], geometry: g, outChannels: outChannels, bias: bias != nil, fusedReLU: fusedReLU) else {
            unaccelerated.insert(key)
            return nil
        }
        if accelerated.count >= 4 { accelerated.removeAll() }
        accelerated[key] = c
        return c
    }

    public override func forward(_ input: Tensor) throws -> Tensor { try forward(input, fusedReLU: false) }

    /// The output shape for an input of `shape`.
    func outputShape(_ shape: [Int]) throws -> [Int] {
        let (n, g) = try geometry(shape)
        return [n, outChannels, g.outHeight, g.outWidth]
    }

    /// The channel blocks of oneDNN's formats this layer would take an input of `shape` and give
    /// its output in (`DNNLConvolution.sourceBlock`, `destinationBlock`), nil for NCHW: `Sequential`
    /// hands tensors over in them between convolutions and 2x2 max pools.
    /// A layer with few input channels (the RGB first layer) reads NCHW: its forward gives the
    /// blocked layout on oneDNN when the next layer takes it (a 2x2 pool; else GEMM in NCHW),
    /// and its input gradient is GEMM in NCHW. oneDNN's forward into the blocked layout, pooled
    /// blocked to blocked, beat GEMM in NCHW pooled into the blocked layout by 4-7% of the
    /// reference step at one thread and 9-10% at two (AMD EPYC family 26, 2026-12-03, both
    /// models in one process, steps alternated).
    func blocks(inputShape shape: [Int], fusedReLU: Bool) -> (input: Int?, output: Int?) {
        guard let (_, g) = try? geometry(shape), let c = oneDNN(shape, g, fusedReLU: fusedReLU) else { return (nil, nil) }
        return (hasFewInputChannels ? nil : c.sourceBlock, c.destinationBlock)
    }

    /// The oneDNN convolution for this shape, checked to take a blocked input and output when
    /// asked (they exist only where `blocks` offered them).
    private func blockedConvolution(_ shape: [Int], _ g: ConvGeometry, fusedReLU: Bool, input: Bool, output: Bool = false) throws -> DNNLConvolution? {
        let c = oneDNN(shape, g, fusedReLU: fusedReLU)
        guard input || output else { return c }
        guard let c, !input || (c.sourceBlock != nil && !hasFewInputChannels), !output || c.destinationBlock != nil else {
            throw DescentError("nn.Conv2d", "internal: a channel-blocked tensor reached a convolution without that format")
        }
        return c
    }

    /// `max(0, conv(x) + b)` in one pass when `fusedReLU` (oneDNN's ReLU post-op, or a clamp of
    /// each image while it is in cache): `Sequential` calls this for a Conv2d followed by a ReLU.
    /// The ReLU's backward then reads the output in place of the pre-activation: both have the
    /// same sign, and that is all a ReLU's derivative looks at. The output is NCHW, the input
    /// blocked when `blockedInput` (see `blocks`).
    func forward(_ input: Tensor, fusedReLU: Bool, blockedInput: Bool = false) throws -> Tensor {
        let (n, g) = try geometry(input)
        lastForwardFused = fusedReLU
        // A small input can ask for a huge output (many channels, a big image): check it first.
        try Tensor.checkShape([n, outChannels, g.outHeight, g.outWidth], "nn.Conv2d")
        let out = Tensor(uninitialized: [n, outChannels, g.outHeight, g.outWidth])
        // Few input channels: GEMM.
        if let c = try blockedConvolution(input.shape, g, fusedReLU: fusedReLU, input: blockedInput), !hasFewInputChannels {
            try c.forward(input, weight: weight, bias: bias, output: out, blockedInput: blockedInput)
            return out
        }
        let k = g.patchSize, p = g.outPixels, imageSize = g.channels * g.height * g.width
        if !g.isPointwise { try columns.prepare(workers: Parallel.threads, count: k * p, "nn.Conv2d") }
        let w = weight.data, b = bias?.data, x = input.data, y = out.data, oc = outChannels
        Parallel.forEachWorker(n) { i, worker in
            let image = x + i * imageSize
            var cols = UnsafePointer(image)
            if !g.isPointwise {
                g.im2col(image, columns.buffer(worker))
                cols = UnsafePointer(columns.buffer(worker))
            }
            let dst = y + i * oc * p
            gemm(transposeA: false, transposeB: false, m: oc, n: p, k: k, alpha: 1, a: w, lda: k, b: cols, ldb: p, beta: 0, c: dst, ldc: p, threads: 1)
            // Bias and fused ReLU in one pass over the image while it is in cache.
            if fusedReLU {
                for o in 0..<oc {
                    let row = dst + o * p, bo = b?[o] ?? 0
                    for j in 0..<p { row[j] = Swift.max(row[j] + bo, 0) }
                }
            } else if let b {
                for o in 0..<oc {
                    let row = dst + o * p, bo = b[o]
                    for j in 0..<p { row[j] += bo }
                }
            }
        }
        return out
    }

    /// The forward of a convolution whose output (blocked, see `blocks`) only a 2x2 max pool
    /// reads: `pool(chunk, images)` pools each chunk of images from this thread's chunk buffer
    /// as soon as the chunk is computed, while it is in cache, and the output is never stored
    /// whole (for the RGB layer of the reference CNN, 8 MB a step written to memory and read
    /// back). Its backward is `backward(_:through:)`.
    func forwardIntoPool(_ input: Tensor, fusedReLU: Bool, blockedInput: Bool, pool: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) throws {
        let (n, g) = try geometry(input)
        lastForwardFused = fusedReLU
        try Tensor.checkShape([n, outChannels, g.outHeight, g.outWidth], "nn.Conv2d")
        guard let c = try blockedConvolution(input.shape, g, fusedReLU: fusedReLU, input: blockedInput, output: true) else {
            throw DescentError("nn.Conv2d", "internal: per-chunk work asked of a convolution without a blocked output")
        }
        try withoutActuallyEscaping(pool) { pool in
            try c.forward(input, weight: weight, bias: bias, output: nil, blockedInput: blockedInput, afterChunk: pool)
        }
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try backward(input, gradOutput, blockedInput: false)
    }

    /// Backward with the input (and the input gradient) in the layout the forward had; the
    /// output gradient in NCHW.
    func backward(_ input: Tensor, _ gradOutput: Tensor, blockedInput: Bool) throws -> Tensor {
        try backwardDeferringInputGradient(input, gradOutput, blockedInput: blockedInput).tensor()
    }

    public override func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor) throws -> DeferredGradient {
        try backwardDeferringInputGradient(input, gradOutput, blockedInput: false)
    }

    func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor, blockedInput: Bool) throws -> DeferredGradient {
        let inputGradient = try backwardParameters(input, gradOutput, blockedInput: blockedInput)
        return deferInputGradient(input.shape, weight: weight, gradOutput: gradOutput, op: "nn.Conv2d.backward", inputGradient)
    }

    /// Accumulates the weight and bias gradients; returns the computation of the input gradient
    /// from the weights this layer has now.
    private func backwardParameters(_ input: Tensor, _ gradOutput: Tensor, blockedInput: Bool) throws -> () throws -> Tensor {
        let (n, g) = try geometry(input)
        let weightNow = weight
        try checkGradOutput(gradOutput, [n, outChannels, g.outHeight, g.outWidth], "nn.Conv2d")
        let k = g.patchSize, p = g.outPixels, imageSize = g.channels * g.height * g.width, oc = outChannels
        let shape = input.shape
        let convolution = try blockedConvolution(shape, g, fusedReLU: lastForwardFused, input: blockedInput)
        if gradBias != nil { biasGradient.sum(gradOutput, n: n, channels: oc, h: g.outHeight, w: g.outWidth, block: 0) }
        // Added after the weight gradient: an error leaves both gradients as they were.
        let addBiasGradient = { if let gradBias = self.gradBias { self.biasGradient.accumulate(into: gradBias, n: n) } }
        // Few input channels: oneDNN's weight gradient, GEMM's input gradient.
        if let c = convolution {
            try c.backwardWeights(input, gradOutput, gradWeight: gradWeight, blockedInput: blockedInput)
            addBiasGradient()
            if hasFewInputChannels { return { try self.inputGradientByGEMM(gradOutput, weight: weightNow, g, n: n, shape: shape) } }
            return {
                let gradInput = Tensor(uninitialized: shape)
                try c.backwardData(gradOutput, weight: weightNow, gradInput: gradInput, blockedGradInput: blockedInput)
                return gradInput
            }
        }
        let workers = max(1, min(Parallel.threads, n))
        let partialSize = oc * k
        try columns.prepare(workers: Parallel.threads, count: k * p, "nn.Conv2d")
        if workers > 1 {
            try partials.prepare(workers: workers, count: partialSize, "nn.Conv2d")
            for wk in 0..<workers { partials.buffer(wk).update(repeating: 0, count: partialSize) }
        }
        let x = input.data, gy = gradOutput.data, gw = gradWeight.data
        Parallel.forEachWorker(n) { i, worker in
            // With one worker, accumulate straight into the layer's gradient.
            let accW = workers > 1 ? partials.buffer(worker) : gw
            let image = x + i * imageSize
            let go = gy + i * oc * p
            let cols = columns.buffer(worker)
            let colsIn: UnsafePointer<Float>
            if g.isPointwise { colsIn = UnsafePointer(image) } else { g.im2col(image, cols); colsIn = UnsafePointer(cols) }
            gemm(transposeA: false, transposeB: true, m: oc, n: k, k: p, alpha: 1, a: go, lda: p, b: colsIn, ldb: p, beta: 1, c: accW, ldc: k, threads: 1)
        }
        if workers > 1 {
            for wk in 0..<workers {
                let part = partials.buffer(wk)
                for j in 0..<oc * k { gw[j] += part[j] }
            }
        }
        addBiasGradient()
        return { try self.inputGradientByGEMM(gradOutput, weight: weightNow, g, n: n, shape: shape) }
    }

    /// Backward of `forwardIntoPool`: the output gradient is the pool's input gradient `pooled`,
    /// written chunk by chunk into the chunk buffer the weight and input gradients read it from
    /// (with the bias gradient's sums), so it is never stored whole either. The input gradient
    /// is computed in the same chunks unless it is deferred (`deferring`, the first layer) or
    /// this layer's input gradient is GEMM's (few input channels): then it is computed when
    /// read, from the output gradient written whole again.
    func backward(_ input: Tensor, through pooled: BlockedPoolGradient, blockedInput: Bool, deferring: Bool) throws -> DeferredGradient {
        let (n, g) = try geometry(input)
        guard pooled.shape == [n, outChannels, g.outHeight, g.outWidth],
              let c = try blockedConvolution(input.shape, g, fusedReLU: lastForwardFused, input: blockedInput, output: true),
              let block = c.destinationBlock else {
            throw DescentError("nn.Conv2d", "internal: a pooled backward without the forward that pooled")
        }
        let weightNow = weight, shape = input.shape
        let sums = gradBias != nil ? biasGradient.images(n, channels: outChannels) : nil
        let inChunks = needsInputGradient && !deferring && !hasFewInputChannels
        let gradInput = inChunks ? Tensor(uninitialized: shape) : nil
        try c.backward(input, chunkGradient: { pooled.write($0, $1, sums) }, gradWeight: gradWeight, weight: weightNow,
                       gradInput: gradInput, blockedInput: blockedInput)
        if let gradBias { biasGradient.accumulate(into: gradBias, n: n) }
        if let gradInput { return DeferredGradient(gradInput) }
        let deferred = deferInputGradient(shape, weight: weightNow, gradOutput: pooled.gradOutput, op: "nn.Conv2d.backward") { [self] in
            let gy = pooled.whole(channelSums: nil)
            if hasFewInputChannels { return try inputGradientByGEMM(gy, weight: weightNow, g, n: n, shape: shape, gradOutputBlock: block) }
            let gradInput = Tensor(uninitialized: shape)
            try c.backwardData(gy, weight: weightNow, gradInput: gradInput, blockedGradOutput: true, blockedGradInput: blockedInput)
            return gradInput
        }
        if !deferring { _ = try deferred.tensor() }
        return deferred
    }

    /// `col2im(weightᵀ · gradOutput)` of each image, images spread over the workers; a blocked
    /// `gradOutput` (`gradOutputBlock` > 0) adds one product per block of channels.
    private func inputGradientByGEMM(_ gradOutput: Tensor, weight: Tensor, _ g: ConvGeometry, n: Int, shape: [Int], gradOutputBlock block: Int = 0) throws -> Tensor {
        let k = g.patchSize, p = g.outPixels, imageSize = g.channels * g.height * g.width, oc = outChannels
        if !g.isPointwise { try columns.prepare(workers: Parallel.threads, count: k * p, "nn.Conv2d") }
        let gradInput = g.isPointwise ? Tensor(uninitialized: shape) : Tensor(zeros: shape)
        let w = weight.data, gy = gradOutput.data, gx = gradInput.data
        Parallel.forEachWorker(n) { i, worker in
            let go = gy + i * oc * p
            let product = g.isPointwise ? gx + i * imageSize : columns.buffer(worker)
            if block > 0 {
                for cb in 0..<oc / block {
                    gemm(transposeA: true, transposeB: true, m: k, n: p, k: block, alpha: 1, a: w + cb * block * k, lda: k, b: go + cb * p * block, ldb: block,
                         beta: cb == 0 ? 0 : 1, c: product, ldc: p, threads: 1)
                }
            } else {
                gemm(transposeA: true, transposeB: false, m: k, n: p, k: oc, alpha: 1, a: w, lda: k, b: go, ldb: p, beta: 0, c: product, ldc: p, threads: 1)
            }
            if !g.isPointwise { g.col2im(product, gx + i * imageSize) }
        }
        return gradInput
    }
}
