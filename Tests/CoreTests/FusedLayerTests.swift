import XCTest
@testable import DescentCore

/// Sequential fuses Conv2d + ReLU (forward) and ReLU + MaxPool2d (backward); the fused passes
/// must give exactly what the layers give one by one, on oneDNN and on im2col.
final class FusedLayerTests: XCTestCase {
    /// Conv-ReLU-Pool twice, then a head: the reference CNN's pattern on small shapes.
    private func model(oneDNN: Bool, seed: UInt64) throws -> Sequential {
        var rng = RandomGenerator(seed: seed)
        let c1 = try Conv2d(input: 3, output: 8, kernel: (3, 3), padding: (1, 1), rng: &rng)
        let c2 = try Conv2d(input: 8, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng)
        c1.usesOneDNN = oneDNN
        c2.usesOneDNN = oneDNN
        return Sequential([c1, ReLU(), try MaxPool2d(kernel: (2, 2)), c2, ReLU(), try MaxPool2d(kernel: (2, 2)),
                           Flatten(), try Linear(input: 16 * 2 * 2, output: 3, rng: &rng)])
    }

    /// Output, input gradient and parameter gradients of running `m`'s layers one at a time.
    private func unfused(_ m: Sequential, _ x: Tensor, _ g: Tensor) throws -> [[Float]] {
        var inputs: [Tensor] = [], y = x
        for layer in m.modules { inputs.append(y); y = try layer.forward(y) }
        var gy = g
        for (layer, input) in zip(m.modules, inputs).reversed() { gy = try layer.backward(input, gy) }
        return [y.values, gy.values] + m.gradients.map(\.values)
    }

    private func fused(_ m: Sequential, _ x: Tensor, _ g: Tensor) throws -> [[Float]] {
        let y = try m.forward(x)
        let gx = try m.backward(x, g)
        return [y.values, gx.values] + m.gradients.map(\.values)
    }

    func testFusedSequentialEqualsLayerByLayer() throws {
        for oneDNN in [true, false] {
            let x = try Tensor.randn([2, 3, 8, 8], seed: 1), g = try Tensor.randn([2, 3], seed: 2)
            let a = try model(oneDNN: oneDNN, seed: 5), b = try model(oneDNN: oneDNN, seed: 5)
            let expected = try unfused(a, x, g), got = try fused(b, x, g)
            for (e, v) in zip(expected, got) { XCTAssertEqual(e, v, "oneDNN \(oneDNN)") }
        }
    }

    /// Between convolutions and 2x2 max pools activations stay in oneDNN's channel-blocked layout
    /// (no reorders): outputs and gradients equal the layers run one by one in NCHW, with odd
    /// sizes (a row and a column in no window) and a pool without a ReLU before it. An RGB first
    /// layer reads NCHW and gives its output blocked on oneDNN (its NCHW forward is GEMM: the two
    /// agree to rounding) and computes its input gradient by GEMM from the blocked gradient.
    func testBlockedActivationsEqualLayerByLayer() throws {
        for firstChannels in [16, 3] {
            func make() throws -> Sequential {
                var rng = RandomGenerator(seed: 21)
                return Sequential([try Conv2d(input: firstChannels, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
                                   try Conv2d(input: 16, output: 32, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
                                   try Conv2d(input: 32, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), try MaxPool2d(kernel: (2, 2)),
                                   Flatten(), try Linear(input: 16 * 2 * 2, output: 3, rng: &rng)])
            }
            let x = try Tensor.randn([2, firstChannels, 18, 18], seed: 3), g = try Tensor.randn([2, 3], seed: 4)
            let a = try make(), b = try make()
            let expected = try unfused(a, x, g), got = try fused(b, x, g)
            XCTAssertEqual(b.blockedInputCount, 7, "activations that stayed blocked, \(firstChannels) input channels")
            for (e, v) in zip(expected, got) {
                if firstChannels == 16 { XCTAssertEqual(e, v); continue }
                let scale = e.map(abs).max() ?? 1
                XCTAssertEqual(e.count, v.count)
                for (p, q) in zip(e, v) { XCTAssertEqual(p, q, accuracy: 1e-5 * scale, "3 input channels") }
            }
            // Deferred, and read after another batch; read after the weights changed, an error.
            let deferredModel = try make()
            _ = try deferredModel.forward(x)
            let d = try deferredModel.backwardDeferringInputGradient(x, g)
            let stale = try deferredModel.backwardDeferringInputGradient(x, g)
            _ = try deferredModel.forward(try Tensor.randn(x.shape, seed: 9))
            XCTAssertEqual(try d.tensor().values, expected[1], "\(firstChannels) input channels")
            deferredModel.parameters[0].mul_(0.5)
            XCTAssertThrowsError(try stale.tensor(), "\(firstChannels) input channels")
        }
    }

    /// A convolution whose output only the 2x2 pool after it reads is pooled chunk by chunk
    /// from a per-thread buffer, and its output gradient is written chunk by chunk where its
    /// backward reads it: neither is ever a whole tensor. Batches that leave a smaller last chunk
    /// (11 = 8 + 3 images) give the layers' own results, the same bits at one and two threads.
    func testPooledConvolutionsStoreNeitherOutputNorItsGradient() throws {
        func make() throws -> Sequential {
            var rng = RandomGenerator(seed: 31)
            return Sequential([try Conv2d(input: 16, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
                               try Conv2d(input: 16, output: 32, kernel: (3, 3), padding: (1, 1), rng: &rng), try MaxPool2d(kernel: (2, 2)),
                               Flatten(), try Linear(input: 32 * 4 * 4, output: 3, rng: &rng)])
        }
        let x = try Tensor.randn([11, 16, 16, 16], seed: 3), g = try Tensor.randn([11, 3], seed: 4)
        let expected = try unfused(try make(), x, g)
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        for threads in [1, 2] {
            Parallel.setThreads(threads)
            let m = try make()
            XCTAssertEqual(try fused(m, x, g), expected, "\(threads) threads")
            // Another step, counting the large buffers it takes: the input gradient (11 x 16 x
            // 16 x 16 floats) and nothing the size of a convolution's output or its gradient.
            m.zeroGrad()
            let before = MemoryStatistics.allocatedBytes
            XCTAssertEqual(try fused(m, x, g), expected, "\(threads) threads, second step")
            let taken = MemoryStatistics.allocatedBytes - before, outputs = 4 * 11 * (16 * 16 * 16 + 32 * 8 * 8)
            XCTAssertLessThan(taken, outputs, "\(threads) threads: \(taken) bytes of large buffers in a step")
        }
    }

    /// Backward twice after one forward (two losses on one output): the pooled layers' second
    /// backward rebuilds their output gradients from the pool's kept codes, so the parameter
    /// gradients double and the input gradient repeats; a gradient of the wrong shape is an
    /// error that names the layer.
    func testPooledBackwardTwiceAndAWrongGradient() throws {
        var rng = RandomGenerator(seed: 41)
        let m = Sequential([try Conv2d(input: 16, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2))])
        let x = try Tensor.randn([3, 16, 8, 8], seed: 5), g = try Tensor.randn([3, 16, 4, 4], seed: 6)
        _ = try m.forward(x)
        m.zeroGrad()
        let first = try m.backward(x, g).values, once = m.gradients.map(\.values)
        XCTAssertEqual(try m.backward(x, g).values, first)
        for (twice, one) in zip(m.gradients.map(\.values), once) {
            for (a, b) in zip(twice, one) { XCTAssertEqual(a, 2 * b, accuracy: 1e-6 * max(1, abs(a))) }
        }
        XCTAssertThrowsError(try m.backward(x, try Tensor.randn([3, 16, 4, 5], seed: 7))) { error in
            XCTAssertTrue("\(error)".hasPrefix("nn.MaxPool2d"), "\(error)")
        }
    }

    func testFusedSequentialGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 9)
        let m = Sequential([try Conv2d(input: 2, output: 3, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2))])
        // Loose: finite differences straddle the kinks of ReLU and max; a missing mask is off by ~1.
        try checkGradients(m, input: randn([1, 2, 6, 6]), eps: 1e-3, tolerance: 5e-2)
    }

    /// The RGB first layer's input gradient runs as GEMM + col2im beside oneDNN's weight gradient.
    func testFewChannelInputGradientMatchesIm2col() throws {
        var rng = RandomGenerator(seed: 3)
        let a = try Conv2d(input: 3, output: 16, kernel: (3, 3), stride: (2, 2), padding: (1, 1), rng: &rng)
        let b = try Conv2d(input: 3, output: 16, kernel: (3, 3), stride: (2, 2), padding: (1, 1), rng: &rng)
        try b.weight.copy_(a.weight)
        try b.bias!.copy_(a.bias!)
        b.usesOneDNN = false
        let x = try Tensor.randn([4, 3, 9, 9], seed: 4), g = try Tensor.randn([4, 16, 5, 5], seed: 6)
        _ = try a.forward(x)
        _ = try b.forward(x)
        let gxa = try a.backward(x, g), gxb = try b.backward(x, g)
        XCTAssertTrue(a.ranOnOneDNN)
        for (u, v) in zip(gxa.values, gxb.values) { XCTAssertEqual(u, v, accuracy: 1e-5) }
    }

    /// Denormals flush to zero (as in TensorFlow): a model whose gradients decay stays fast.
    func testDenormalsFlushToZero() throws {
        _ = Parallel.threads
        let t = try Tensor([Float.leastNormalMagnitude], shape: [1])
        XCTAssertEqual(t.multiplying(0.5).values, [0])
    }
    /// SiLU's AVX-512 and AVX2 bodies (where the CPU has them) give the Swift Float8 path's
    /// bits, forward and backward, over the whole range, the specials and a length that is no
    /// multiple of 16 or 8.
    func testSiLUMatchesTheFloat8PathBitForBit() throws {
        var values: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 87.3, -87.3, -88, -100, 100, .leastNormalMagnitude]
        var v: Float = -104
        while v < 104 { values.append(v); v += 0.0371 }
        XCTAssertNotEqual(values.count % 8, 0)
        let x = try Tensor(values, shape: [values.count]), g = try Tensor.randn([values.count], seed: 5)
        try forEachVectorLevel { level in
            let silu = SiLU()
            let y = try silu.forward(x), gx = try silu.backward(x, g)
            for (i, value) in values.enumerated() {
                let xv = Float8(repeating: value), s = Float8.sigmoid(xv)
                let wantY = (xv * s)[0], wantG = (Float8(repeating: g.data[i]) * (s * (1 + xv * (1 - s))))[0]
                XCTAssertEqual(y.data[i].bitPattern, wantY.bitPattern, "forward at \(value), level \(level)")
                XCTAssertEqual(gx.data[i].bitPattern, wantG.bitPattern, "backward at \(value), level \(level)")
            }
        }
    }

    /// Batch norm's sums and passes (AVX-512, AVX2, portable) give the same bits, in training
    /// and in evaluation, on planes with tails past every vector width.
    func testBatchNormGivesTheSameBitsAtEveryVectorLevel() throws {
        let x = try Tensor.randn([3, 5, 7, 9], seed: 11), g = try Tensor.randn([3, 5, 7, 9], seed: 12)
        var runs: [[[UInt32]]] = []
        try forEachVectorLevel { _ in
            let bn = try BatchNorm2d(channels: 5)
            let y = try bn.forward(x), gx = try bn.backward(x, g)
            bn.evaluate()
            let eval = try bn.forward(x)
            runs.append([y, gx, eval, bn.gradWeight, bn.gradBias, bn.runningMean, bn.runningVar].map { $0.values.map(\.bitPattern) })
        }
        XCTAssertGreaterThan(runs.count, 1)
        for run in runs.dropFirst() { XCTAssertEqual(run, runs[0]) }
    }
}

/// The vectorised sigmoid behind SiLU and Sigmoid against a Double reference.
final class VectorMathTests: XCTestCase {
    func testSigmoidWithinTwoUlpsOverTheWholeRange() {
        var worst = 0.0
        var x: Float = -104
        while x < 104 {
            let v = Float8(repeating: x)
            let got = Float8.sigmoid(v)[0]
            let want = 1 / (1 + Foundation.exp(-Double(x)))
            if want > 1e-30 {   // near the denormal range, which flushes to zero here

                worst = max(worst, abs(Double(got) - want) / Double(Float(want).ulp))
            }
            x += 0.013
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error \(worst) ulp")
        let special = Float8.sigmoid(Float8(.nan, .infinity, -.infinity, 0, 1, -1, 20, -20))
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual(special[1], 1)
        XCTAssertLessThan(special[2], 1e-37)
        XCTAssertEqual(special[3], 0.5)
        XCTAssertEqual(special[4], Float(1 / (1 + Foundation.exp(-1.0))), accuracy: 1e-7)
    }
}
