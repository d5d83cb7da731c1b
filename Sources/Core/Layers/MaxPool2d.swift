import CKernels

/// Max pooling; padding counts as -inf. Keeps where each window's maximum was for backward.
public final class MaxPool2d: Module {
    public let window: PoolWindow
    /// The channel block of the last forward's blocked side (0: all NCHW); `codes`, and the
    /// gradient backward returns, follow that layout.
    private(set) var lastBlock = 0
    /// What the last forward kept for backward: for the common 2x2, stride-2 window (`isTiled`)
    /// a byte per window (`descent_maxpool2x2_forward`), else each window's argmax in its plane.
    let codes = PoolCodes()
    private var argmax: [Int32] = []

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) throws {
        window = try PoolWindow("nn.MaxPool2d", kernel: kernel, stride: stride, padding: padding)
    }

    public override var description: String { "nn.MaxPool2d(\(window.text))" }

    /// Whether the window is the common 2x2, stride 2, unpadded one (the C kernels' case).
    private var isTiled: Bool {
        window.kernel == (2, 2) && window.stride == (2, 2) && window.padding == (0, 0)
    }

    /// The output shape for an input of `shape`.
    func outputShape(_ shape: [Int]) throws -> [Int] {
        let (n, g) = try window.geometry(shape, "nn.MaxPool2d")
        return [n, g.channels, g.outHeight, g.outWidth]
    }

    /// Whether `Sequential` may hand this layer an input of `shape` in oneDNN's channel-blocked
    /// layout with channel block `block` (`Conv2d.blocks`).
    func takesBlocked(inputShape shape: [Int], block: Int) -> Bool {
        isTiled && shape.count == 4 && shape[1] % block == 0 && shape[2] >= 2 && shape[3] >= 2
    }

    public override func forward(_ input: Tensor) throws -> Tensor { try forward(input, inputBlock: 0, outputBlock: 0) }

    /// With `inputBlock` > 0 the input is channel-blocked with that block (see `takesBlocked`),
    /// and so is the output when `outputBlock` is that block too (0: NCHW out). The codes kept
    /// for backward, and the input gradient it returns, are in the input's layout (`lastBlock`).
    func forward(_ input: Tensor, inputBlock: Int, outputBlock: Int) throws -> Tensor {
        if inputBlock > 0 {
            let (out, pool) = try blockedForward(inputShape: input.shape, block: inputBlock, outputBlock: outputBlock)
            let x = input.data, imageFloats = input.count / max(1, input.shape[0])
            Parallel.forEach(input.shape[0]) { i in pool(x + i * imageFloats, i ..< i + 1) }
            return out
        }
        let (n, g) = try geometry(input.shape)
        let (oh, ow) = (g.outHeight, g.outWidth)
        let out = Tensor(uninitialized: [n, g.channels, oh, ow])
        let planes = n * g.channels, plane = g.height * g.width
        let x = input.data, y = out.data
        lastBlock = 0
        if isTiled {
            codes.resize(out.count)
            let c = codes.base
            Parallel.forEach(planes) { pl in
                descent_maxpool2x2_forward(x + pl * plane, y + pl * oh * ow, c + pl * oh * ow, Int32(g.height), Int32(g.width))
            }
            return out
        }
        if argmax.count != out.count { argmax = [Int32](repeating: -1, count: out.count) }
        argmax.withUnsafeMutableBufferPointer { am in
            let am = am.baseAddress!
            Parallel.forEach(planes) { pl in Self.poolPlane(x + pl * plane, y + pl * oh * ow, am + pl * oh * ow, g) }
        }
        return out
    }

    /// The window's geometry over an input of `shape`, whose planes must fit 32-bit positions.
    private func geometry(_ shape: [Int]) throws -> (Int, ConvGeometry) {
        let (n, g) = try window.geometry(shape, "nn.MaxPool2d")
        // Window positions are 32-bit (Int32 argmax, C ints): a bigger plane is an error, not a trap.
        guard g.height * g.width <= Int(Int32.max) else {
            throw DescentError("nn.MaxPool2d", "a plane of \(g.height)x\(g.width) is too large (at most \(Int32.max) elements)")
        }
        return (n, g)
    }

    /// The forward of a blocked input, image range by image range: the output (complete once
    /// every image is pooled) and the function that pools images `range` of the input, given the
    /// input's first image of the range (the images follow it). Any ranges may run on any
    /// threads; `Sequential` pools each convolution chunk as soon as it is computed, from the
    /// chunk's buffer, so the convolution's output is never stored whole.
    func blockedForward(inputShape shape: [Int], block b: Int, outputBlock: Int) throws -> (output: Tensor, pool: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        let (n, g) = try geometry(shape)
        guard b > 0, outputBlock == 0 || outputBlock == b, takesBlocked(inputShape: shape, block: b) else {
            throw DescentError("nn.MaxPool2d", "internal: a channel-blocked tensor reached a pool that does not take it")
        }
        let (oh, ow) = (g.outHeight, g.outWidth), groups = g.channels / b, plane = g.height * g.width, per = oh * ow
        let out = Tensor(uninitialized: [n, g.channels, oh, ow])
        codes.resize(out.count)
        lastBlock = b
        let blockedOut = outputBlock > 0 ? out : Tensor(uninitialized: out.shape)
        let (h, w) = (Int32(g.height), Int32(g.width))
        return (out, { [out, blockedOut, codes] x, range in
            let y = out.data, by = blockedOut.data, c = codes.base
            for (k, pl) in (range.lowerBound * groups ..< range.upperBound * groups).enumerated() {
                // Plane group pl: one blocked plane of b channels.
                descent_maxpool2x2_forward_blocked(x + k * plane * b, by + pl * per * b, c + pl * per * b, h, w, Int32(b))
            }
            if outputBlock == 0 {
                for i in range { descent_unblock(by + i * g.channels * per, y + i * g.channels * per, Int32(g.channels), Int32(per), Int32(b)) }
            }
        })
    }

    /// One channel plane: max and argmax of every window.
    private static func poolPlane(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  _ am: UnsafeMutablePointer<Int32>, _ g: ConvGeometry) {
        var o = 0
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
                (dst[o], am[o]) = poolWindow(src, g, oy, ox)
                o &+= 1
            }
        }
    }

    /// Max and argmax (index in the plane) of window (oy, ox): the first maximum wins, and a NaN
    /// wins over everything, as in PyTorch, so a diverging run shows it. One comparison feeding
    /// selects, no branches: on real activations the comparison is a coin flip, and the branchy
    /// loop was 20% of a training step (9 ms for 32x16x64x64).
    @inline(__always)
    private static func poolWindow(_ src: UnsafeMutablePointer<Float>, _ g: ConvGeometry, _ oy: Int, _ ox: Int) -> (Float, Int32) {
        let (h, w) = (g.height, g.width)
        let y0 = Swift.max(oy &* g.strideH &- g.padH, 0), y1 = Swift.min(oy &* g.strideH &- g.padH &+ g.kernelH, h)
        let x0 = Swift.max(ox &* g.strideW &- g.padW, 0), x1 = Swift.min(ox &* g.strideW &- g.padW &+ g.kernelW, w)
        var bestIndex = y0 &* w &+ x0
        var best = src[bestIndex]
        var poison: Float = 0          // becomes NaN if the window holds a NaN or Inf
        var iy = y0
        while iy < y1 {
            var i = iy &* w &+ x0
            let end = iy &* w &+ x1
            while i < end {
                let v = src[i]
                let take = v > best
                best = take ? v : best
                bestIndex = take ? i : bestIndex
                poison += v * 0
                i &+= 1
            }
            iy &+= 1
        }
        if poison != 0 || poison.isNaN {
            // Rare: the last NaN of the window.
            for yy in y0..<y1 { for xx in x0..<x1 where src[yy * w + xx].isNaN { best = .nan; bestIndex = yy * w + xx } }
        }
        return (best, Int32(truncatingIfNeeded: bestIndex))
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try backward(input, gradOutput, throughReLU: false)
    }

    /// Backward in the layouts the forward chose: the gradient returned blocked with `block` when
    /// > 0 (the forward's `lastBlock`), the output gradient blocked when `blockedGradOutput`.
    /// With `channelSums` (blocked only), also each image's returned gradient summed per channel
    /// as `descent_window_sums` sums it: the bias gradient of the convolution before the pool.
    func backward(_ input: Tensor, _ gradOutput: Tensor, throughReLU: Bool, block inputBlock: Int, blockedGradOutput: Bool,
                  channelSums: UnsafeMutablePointer<Double>? = nil) throws -> Tensor {
        guard inputBlock > 0 else { return try backward(input, gradOutput, throughReLU: throughReLU) }
        return try blockedBackward(inputShape: input.shape, gradOutput, throughReLU: throughReLU, block: inputBlock,
                                   blockedGradOutput: blockedGradOutput).whole(channelSums: channelSums)
    }

    /// The input gradient of a blocked backward (see `BlockedPoolGradient`), for an input of
    /// `shape` in the layout with channel block `block`.
    func blockedBackward(inputShape shape: [Int], _ gradOutput: Tensor, throughReLU: Bool, block b: Int, blockedGradOutput: Bool) throws -> BlockedPoolGradient {
        let (n, g) = try window.geometry(shape, "nn.MaxPool2d")
        try checkGradOutput(gradOutput, [n, g.channels, g.outHeight, g.outWidth], "nn.MaxPool2d")
        guard isTiled, lastBlock == b, codes.count == gradOutput.count, takesBlocked(inputShape: shape, block: b) else {
            throw DescentError("nn.MaxPool2d.backward", "forward must run on this input first")
        }
        let per = g.outHeight * g.outWidth, plane = g.height * g.width, groups = g.channels / b
        var gy = gradOutput
        if !blockedGradOutput {
            gy = Tensor(uninitialized: gradOutput.shape)
            let src = gradOutput.data, dst = gy.data
            Parallel.forEach(n) { i in descent_block(src + i * g.channels * per, dst + i * g.channels * per, Int32(g.channels), Int32(per), Int32(b)) }
        }
        let (h, w) = (Int32(g.height), Int32(g.width))
        return BlockedPoolGradient(shape: shape, gradOutput: gradOutput) { [gy, buffer = codes.buffer] range, gx, sums in
            let gyb = gy.data, c = buffer.base
            for (k, pl) in (range.lowerBound * groups ..< range.upperBound * groups).enumerated() {
                descent_maxpool2x2_backward_blocked(gyb + pl * per * b, c + pl * per * b, throughReLU ? 1 : 0, gx + k * plane * b, h, w, Int32(b),
                                                    sums.map { $0 + pl * b })
            }
        }
    }

    /// With `throughReLU`, also the backward of a ReLU before the pool, in the same pass:
    /// `Sequential` calls this for ReLU then MaxPool2d. A window's gradient goes to its maximum
    /// times (maximum > 0) — what ReLU's backward would multiply it by, since the pool's input is
    /// the ReLU's output and every other element of the window gets no gradient.
    func backward(_ input: Tensor, _ gradOutput: Tensor, throughReLU: Bool) throws -> Tensor {
        let (n, g) = try window.geometry(input, "nn.MaxPool2d")
        try checkGradOutput(gradOutput, [n, g.channels, g.outHeight, g.outWidth], "nn.MaxPool2d")
        guard lastBlock == 0, (isTiled ? codes.count : argmax.count) == gradOutput.count else {
            throw DescentError("nn.MaxPool2d.backward", "forward must run on this input first")
        }
        let gradInput = Tensor(uninitialized: input.shape)
        let per = g.outHeight * g.outWidth, plane = g.height * g.width
        let gx = gradInput.data, gy = gradOutput.data, x = input.data
        if isTiled {
            let c = codes.base
            Parallel.forEach(n * g.channels) { pl in
                descent_maxpool2x2_backward(gy + pl * per, c + pl * per, throughReLU ? 1 : 0, gx + pl * plane, Int32(g.height), Int32(g.width))
            }
            return gradInput
        }
        argmax.withUnsafeBufferPointer { am in
            let am = am.baseAddress!
            // Plane by plane, so the zeroing and the scatter hit the same cache lines.
            Parallel.forEach(n * g.channels) { pl in
                let dst = gx + pl * plane, src = gy + pl * per, idx = am + pl * per
                dst.update(repeating: 0, count: plane)
                if throughReLU {
                    let xs = x + pl * plane
                    for o in 0..<per { let i = Int(idx[o]); dst[i] += src[o] * (xs[i] > 0 ? 1 : 0) }
                } else {
                    for o in 0..<per { dst[Int(idx[o])] += src[o] }
                }
            }
        }
        return gradInput
    }
}

/// A blocked 2x2 max pool's input gradient (its backward, and the ReLU's before it when the pool
/// passes through one), written image range by image range: `Sequential` writes each chunk of a
/// convolution's output gradient into that convolution's chunk buffer right before the
/// convolution's backward reads it, so the whole gradient is never stored.
struct BlockedPoolGradient {
    /// The pool's input shape, the gradient's.
    let shape: [Int]
    /// The pool's output gradient it is computed from (with the codes of the forward before
    /// it, which it holds: later forwards write others).
    let gradOutput: Tensor
    /// `write(images, gx, sums)`: the gradient of `images` into `gx` (their first image, the
    /// rest after it); with `sums` (else nil), also each image's gradient summed per channel into
    /// `sums[i * channels + channel]` (the convolution's bias gradient, `BiasGradient`).
    let write: (Range<Int>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>?) -> Void

    /// The whole gradient as one tensor, images spread over the workers.
    func whole(channelSums: UnsafeMutablePointer<Double>?) -> Tensor {
        let gradInput = Tensor(uninitialized: shape), gx = gradInput.data, imageFloats = gradInput.count / max(1, shape[0])
        Parallel.forEach(shape[0]) { i in write(i ..< i + 1, gx + i * imageFloats, channelSums) }
        return gradInput
    }
}
