import XCTest
import CKernels
@testable import DescentCore

final class LayerGradientTests: XCTestCase {
    var rng = RandomGenerator(seed: 7)

    func testConv2dVariants() throws {
        // (in, out, kernel, stride, padding, H, W, batch)
        let cases: [(Int, Int, (Int, Int), (Int, Int), (Int, Int), Int, Int, Int)] = [
            (2, 3, (3, 3), (1, 1), (1, 1), 5, 5, 2),
            (2, 3, (3, 3), (2, 2), (0, 0), 7, 6, 2),
            (1, 2, (3, 2), (2, 1), (2, 2), 4, 5, 3),
            (3, 2, (1, 1), (1, 1), (0, 0), 4, 3, 2),
            (2, 2, (5, 5), (1, 1), (2, 2), 3, 4, 1),
        ]
        for (cin, cout, k, s, p, h, w, n) in cases {
            let conv = try Conv2d(input: cin, output: cout, kernel: k, stride: s, padding: p, rng: &rng)
            try checkGradients(conv, input: randn([n, cin, h, w]))
        }
        let noBias = try Conv2d(input: 2, output: 2, kernel: (3, 3), padding: (1, 1), bias: false, rng: &rng)
        try checkGradients(noBias, input: randn([2, 2, 4, 4]))
    }

    func testConv2dThreadedMatchesSingleThread() throws {
        let conv = try Conv2d(input: 3, output: 4, kernel: (3, 3), padding: (1, 1), rng: &rng)
        let x = randn([5, 3, 6, 6]), g = randn([5, 4, 6, 6], 2)
        Parallel.setThreads(1)
        let y1 = try conv.forward(x); conv.zeroGrad(); let gx1 = try conv.backward(x, g); let gw1 = conv.gradWeight.clone()
        Parallel.setThreads(2)
        let y2 = try conv.forward(x); conv.zeroGrad(); let gx2 = try conv.backward(x, g); let gw2 = conv.gradWeight.clone()
        XCTAssertEqual(y1.values, y2.values)
        XCTAssertEqual(gx1.values, gx2.values)
        for (a, b) in zip(gw1.values, gw2.values) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a))) }
    }

    func testConvForwardMatchesDirectSum() throws {
        let conv = try Conv2d(input: 2, output: 3, kernel: (3, 3), stride: (2, 2), padding: (1, 1), rng: &rng)
        let x = randn([1, 2, 5, 5])
        let y = try conv.forward(x)
        XCTAssertEqual(y.shape, [1, 3, 3, 3])
        for o in 0..<3 { for oy in 0..<3 { for ox in 0..<3 {
            var s = Double(conv.bias!.data[o])
            for c in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                guard iy >= 0, iy < 5, ix >= 0, ix < 5 else { continue }
                s += Double(conv.weight.data[((o * 2 + c) * 3 + ky) * 3 + kx]) * Double(x.data[(c * 5 + iy) * 5 + ix])
            } } }
            XCTAssertEqual(Double(y.data[(o * 3 + oy) * 3 + ox]), s, accuracy: 1e-5)
        } } }
    }

    func testLinear() throws {
        try checkGradients(try Linear(input: 5, output: 3, rng: &rng), input: randn([4, 5]))
        try checkGradients(try Linear(input: 3, output: 2, bias: false, rng: &rng), input: randn([1, 3]))
    }

    /// GELU's values from the normal distribution's table: Φ(1) = 0.8413447, Φ(-1) = 0.1586553.
    func testGELUValues() throws {
        let y = try GELU().forward(Tensor([0, 1, -1, 3]))
        XCTAssertEqual(y.values[0], 0)
        XCTAssertEqual(y.values[1], 0.8413447, accuracy: 1e-6)
        XCTAssertEqual(y.values[2], -0.1586553, accuracy: 1e-6)
        XCTAssertEqual(y.values[3], 3 * 0.9986501, accuracy: 1e-5)
    }

    func testActivations() throws {
        let x = randn([2, 3, 4])
        for m: Module in [ReLU(), LeakyReLU(slope: 0.1), SiLU(), Sigmoid(), Tanh(), GELU()] {
            try checkGradients(m, input: x, eps: 1e-3, tolerance: 5e-3)
        }
    }

    /// oneDNN's convolution against the im2col + SGEMM path, on the geometries the gradient
    /// checks use and more: stride 2, padding 0/1/2, non-square, 1x1, no bias, a ragged
    /// floor-mode edge; gradients accumulate over two backward calls in both.
    func testOneDNNConvolutionMatchesIm2col() throws {
        let cases: [(cin: Int, cout: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int), bias: Bool, input: [Int])] = [
            (3, 16, (3, 3), (1, 1), (1, 1), true, [4, 3, 16, 16]),
            (4, 6, (3, 3), (2, 2), (0, 0), true, [2, 4, 9, 7]),
            (2, 5, (3, 2), (1, 2), (2, 1), false, [3, 2, 5, 8]),
            (8, 4, (1, 1), (1, 1), (0, 0), true, [2, 8, 6, 6]),
            (3, 7, (5, 5), (2, 2), (2, 2), true, [1, 3, 12, 10]),
            (2, 3, (3, 3), (2, 2), (0, 0), true, [1, 2, 8, 8]),   // the last row and column are not covered
            (16, 16, (3, 3), (1, 1), (1, 1), true, [2, 16, 9, 8]),   // Winograd where oneDNN has it
            (16, 32, (3, 3), (1, 1), (0, 0), false, [1, 16, 6, 7]),
            (16, 16, (3, 3), (1, 1), (1, 1), true, [9, 16, 6, 6]),   // a chunk of 8 images and a last one of 1
            (4, 8, (3, 3), (1, 1), (1, 1), true, [33, 4, 5, 5]),     // chunks of 8 and a last one of 1
        ]
        for c in cases {
            var r1 = RandomGenerator(seed: 9), r2 = RandomGenerator(seed: 9)
            let fast = try Conv2d(input: c.cin, output: c.cout, kernel: c.k, stride: c.s, padding: c.p, bias: c.bias, rng: &r1)
            let slow = try Conv2d(input: c.cin, output: c.cout, kernel: c.k, stride: c.s, padding: c.p, bias: c.bias, rng: &r2)
            slow.usesOneDNN = false
            let x = randn(c.input, 3)
            let (yf, ys) = (try fast.forward(x), try slow.forward(x))
            let gy = randn(ys.shape, 4)
            var gf = try fast.backward(x, gy), gs = try slow.backward(x, gy)
            XCTAssertTrue(fast.ranOnOneDNN, "oneDNN took \(c)")   // where oneDNN is installed, as tools/setup makes sure
            XCTAssertFalse(slow.ranOnOneDNN)
            gf = try fast.backward(x, gy); gs = try slow.backward(x, gy)
            func close(_ a: Tensor, _ b: Tensor, _ what: String) {
                XCTAssertEqual(a.shape, b.shape, what)
                let scale = b.values.map { Swift.abs($0) }.max() ?? 1
                let worst = zip(a.values, b.values).map { Swift.abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5 * Swift.max(1, scale), "\(what) \(c)")
            }
            close(yf, ys, "output")
            close(gf, gs, "input gradient")
            close(fast.gradWeight, slow.gradWeight, "weight gradient (accumulated twice)")
            if c.bias { close(fast.gradBias!, slow.gradBias!, "bias gradient (accumulated twice)") }
        }
    }

    /// The 2x2 max pool's vector path (16 windows at a time) against a scalar reference: odd
    /// widths (a vector part, a scalar tail and a column in no window), ties (first maximum wins,
    /// as after a ReLU), a NaN (it wins, as in PyTorch), an odd height (the last row is dropped),
    /// and the backward through a ReLU before the pool (gradient only where the maximum is > 0).
    func testMaxPool2x2MatchesScalarReference() throws {
        try forEachVectorLevel { level in
            for w in [38, 39, 64] {
                let (n, c, h) = (2, 3, 7)
                let x = randn([n, c, h, w], 5)
                for i in stride(from: 0, to: x.count, by: 3) { x.data[i] = 0 }     // ties
                for i in stride(from: 1, to: x.count, by: 7) { x.data[i] = -abs(x.data[i]) }
                x.data[(1 * c + 2) * h * w + 2 * w + 10] = .nan
                let pool = try MaxPool2d(kernel: (2, 2))
                let y = try pool.forward(x)
                let (oh, ow) = (h / 2, w / 2)
                XCTAssertEqual(y.shape, [n, c, oh, ow])
                let gy = randn(y.shape, 6)
                let gx = try pool.backward(x, gy), gxReLU = try pool.backward(x, gy, throughReLU: true)
                var want = [Float](repeating: 0, count: x.count), wantReLU = want
                for pl in 0..<n * c {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var bestIndex = pl * h * w + 2 * oy * w + 2 * ox
                            for (dy, dx) in [(0, 1), (1, 0), (1, 1)] {
                                let i = pl * h * w + (2 * oy + dy) * w + 2 * ox + dx
                                if x.data[i] > x.data[bestIndex] || (x.data[i].isNaN && !x.data[bestIndex].isNaN) { bestIndex = i }
                            }
                            let o = (pl * oh + oy) * ow + ox
                            XCTAssertTrue(y.data[o] == x.data[bestIndex] || (y.data[o].isNaN && x.data[bestIndex].isNaN), "window \(o), level \(level)")
                            want[bestIndex] += gy.data[o]
                            wantReLU[bestIndex] += gy.data[o] * (x.data[bestIndex] > 0 ? 1 : 0)
                        }
                    }
                }
                XCTAssertEqual(gx.values, want, "gradient lands on the first maximum of each window, width \(w), level \(level)")
                XCTAssertEqual(gxReLU.values, wantReLU, "through the ReLU, width \(w), level \(level)")
                XCTAssertEqual(gxReLU.values.map { $0.sign }, wantReLU.map { $0.sign }, "zeros are +0, width \(w), level \(level)")
                XCTAssertTrue(y.values.contains { $0.isNaN })
            }
        }
    }

    /// The pool over oneDNN's channel-blocked layouts (block 16: the AVX-512 body where the CPU
    /// has it; block 8: the portable one) gives what it gives over NCHW, forward and backward,
    /// through a ReLU or not, with odd sizes and a NaN.
    func testMaxPool2x2OverBlockedLayoutsMatchesNCHW() throws {
        func blocked(_ t: Tensor, _ b: Int) -> Tensor {
            let (n, c, hw) = (t.shape[0], t.shape[1], t.shape[2] * t.shape[3])
            let out = Tensor(zeros: t.shape)
            for i in 0..<n { for ch in 0..<c { for p in 0..<hw {
                out.data[((i * c / b + ch / b) * hw + p) * b + ch % b] = t.data[(i * c + ch) * hw + p]
            } } }
            return out
        }
        try forEachVectorLevel { level in
            for (h, w, b) in [(7, 9, 8), (7, 9, 16), (6, 38, 8), (6, 38, 16)] {
                let x = randn([2, 32, h, w], 8)
                x.data[100] = .nan
                let gy = randn([2, 32, h / 2, w / 2], 9)
                for relu in [false, true] {
                    let reference = try MaxPool2d(kernel: (2, 2)), pool = try MaxPool2d(kernel: (2, 2))
                    XCTAssertTrue(pool.takesBlocked(inputShape: x.shape, block: b))
                    let want = try reference.forward(x), got = try pool.forward(blocked(x, b), inputBlock: b, outputBlock: 0)
                    XCTAssertEqual(got.values.map(\.bitPattern), want.values.map(\.bitPattern), "block \(b), level \(level)")
                    let wantGrad = try reference.backward(x, gy, throughReLU: relu)
                    let gotGrad = try pool.backward(blocked(x, b), gy, throughReLU: relu, block: b, blockedGradOutput: false)
                    XCTAssertEqual(gotGrad.values.map(\.bitPattern), blocked(wantGrad, b).values.map(\.bitPattern), "block \(b), ReLU \(relu), level \(level)")
                    let gotBlockedGrad = try pool.backward(blocked(x, b), blocked(gy, b), throughReLU: relu, block: b, blockedGradOutput: true)
                    XCTAssertEqual(gotBlockedGrad.values.map(\.bitPattern), gotGrad.values.map(\.bitPattern))
                }
            }
        }
        let x = randn([2, 32, 7, 9], 8), gy = randn([2, 32, 3, 4], 9)
        let pool = try MaxPool2d(kernel: (2, 2))
        _ = try pool.forward(blocked(x, 16), inputBlock: 16, outputBlock: 0)
        XCTAssertThrowsError(try pool.backward(x, gy), "codes of a blocked forward are not read as NCHW")
    }

    /// A convolution's bias gradient sums each channel in window order (window_sums.c): 2x2
    /// tiles, then the odd column, then the odd row, in Double. Every body gives the reference's
    /// bits on NCHW and blocked planes; the blocked pool's backward gives the same sums for the
    /// gradient it writes (so `Sequential` skips the second pass), a NaN included.
    func testWindowSumsFollowWindowOrderAndThePoolGivesThem() throws {
        func reference(_ plane: (Int, Int) -> Float, _ h: Int, _ w: Int) -> Double {
            var s = 0.0
            for oy in 0..<h / 2 { for ox in 0..<w / 2 { for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] { s += Double(plane(2 * oy + dy, 2 * ox + dx)) } } }
            if w % 2 == 1 { for y in 0..<h - h % 2 { s += Double(plane(y, w - 1)) } }
            if h % 2 == 1 { for x in 0..<w { s += Double(plane(h - 1, x)) } }
            return s
        }
        try forEachVectorLevel { level in
            for (c, h, w, b) in [(5, 7, 9, 0), (16, 6, 38, 8), (32, 7, 9, 16), (16, 7, 9, 8)] {
                let g = randn([c, h, w], 12)
                for i in stride(from: 0, to: g.count, by: 5) { g.data[i] *= 1e7 }     // rounding that order shows
                var got = [Double](repeating: .nan, count: c)
                descent_window_sums(g.data, Int32(c), Int32(h), Int32(w), Int32(b), &got)
                for ch in 0..<c {
                    let want = reference({ y, x in b == 0 ? g.data[(ch * h + y) * w + x] : g.data[((ch / b * h + y) * w + x) * b + ch % b] }, h, w)
                    XCTAssertEqual(got[ch].bitPattern, want.bitPattern, "channel \(ch), block \(b), level \(level)")
                }
            }
            for (h, w, b) in [(7, 9, 8), (6, 38, 16)] {
                let x = randn([2, 32, h, w], 8), gy = randn([2, 32, h / 2, w / 2], 9)
                x.data[100] = .nan
                gy.data[7] = .nan
                let pool = try MaxPool2d(kernel: (2, 2))
                let bx = Tensor(zeros: x.shape)
                descent_block(x.data, bx.data, 32, Int32(h * w), Int32(b))
                descent_block(x.data + 32 * h * w, bx.data + 32 * h * w, 32, Int32(h * w), Int32(b))
                _ = try pool.forward(bx, inputBlock: b, outputBlock: 0)
                var fused = [Double](repeating: 0, count: 64)
                let gx = try fused.withUnsafeMutableBufferPointer { s in
                    try pool.backward(bx, gy, throughReLU: true, block: b, blockedGradOutput: false, channelSums: s.baseAddress)
                }
                var separate = [Double](repeating: 0, count: 64)
                for i in 0..<2 { descent_window_sums(gx.data + i * 32 * h * w, 32, Int32(h), Int32(w), Int32(b), &separate[i * 32]) }
                XCTAssertEqual(fused.map(\.bitPattern), separate.map(\.bitPattern), "block \(b), level \(level)")
                XCTAssertTrue(fused.contains { $0.isNaN } && fused.contains { !$0.isNaN })
                // Into memory that is not 64-byte aligned (no streaming stores): the same values.
                let codes = pool.codes, bgy = Tensor(zeros: gy.shape), per = (h / 2) * (w / 2)
                descent_block(gy.data, bgy.data, 32, Int32(per), Int32(b))
                descent_block(gy.data + 32 * per, bgy.data + 32 * per, 32, Int32(per), Int32(b))
                var unaligned = [Float](repeating: .nan, count: gx.count + 1)
                unaligned.withUnsafeMutableBufferPointer { u in
                    for pl in 0..<2 * 32 / b {
                        descent_maxpool2x2_backward_blocked(bgy.data + pl * per * b, codes.base + pl * per * b, 1,
                                                            u.baseAddress! + 1 + pl * h * w * b, Int32(h), Int32(w), Int32(b), nil)
                    }
                }
                XCTAssertEqual(Array(unaligned.dropFirst()).map(\.bitPattern), gx.values.map(\.bitPattern), "unaligned, block \(b), level \(level)")
            }
        }
    }

    func testPooling() throws {
        // A plane past 32-bit positions is an error (an empty batch allocates nothing).
        XCTAssertThrowsError(try MaxPool2d(kernel: (2, 2)).forward(Tensor(zeros: [0, 1, 50_000, 50_000]))) {
            XCTAssertEqual("\($0)", "nn.MaxPool2d: a plane of 50000x50000 is too large (at most 2147483647 elements)")
        }
        try checkGradients(try MaxPool2d(kernel: (2, 2)), input: randn([2, 2, 4, 6]), eps: 1e-3)
        try checkGradients(try MaxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), input: randn([1, 2, 5, 5]), eps: 1e-3)
        try checkGradients(try AvgPool2d(kernel: (2, 2)), input: randn([2, 2, 4, 4]))
        try checkGradients(try AvgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), input: randn([1, 2, 5, 6]))
        try checkGradients(GlobalAvgPool(), input: randn([2, 3, 3, 2]))
    }

    func testBatchNormTrainAndEval() throws {
        let bn = try BatchNorm2d(channels: 3)
        try bn.weight.copy_(randn([3], 4))
        try bn.bias.copy_(randn([3], 5))
        try checkGradients(bn, input: randn([4, 3, 3, 2]))
        bn.evaluate()
        try checkGradients(bn, input: randn([2, 3, 2, 2]))
    }

    func testBatchNormRunningStatisticsFollowPyTorch() throws {
        let bn = try BatchNorm2d(channels: 1)
        let x = try Tensor([1, 2, 3, 4], shape: [2, 1, 1, 2])
        let y = try bn.forward(x)
        // mean 2.5, biased var 1.25, unbiased 5/3
        XCTAssertEqual(bn.runningMean.data[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar.data[0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
        XCTAssertEqual(y.data[0], Float((1 - 2.5) / (1.25 + 1e-5).squareRoot()), accuracy: 1e-5)
    }

    func testContainersAndDropout() throws {
        let seq = Sequential([try Linear(input: 4, output: 5, rng: &rng), Tanh(), try Linear(input: 5, output: 2, rng: &rng)])
        try checkGradients(seq, input: randn([3, 4]))
        let res = Residual(Sequential([try Conv2d(input: 2, output: 2, kernel: (3, 3), padding: (1, 1), rng: &rng), Sigmoid()]))
        try checkGradients(res, input: randn([2, 2, 3, 3]))
        let proj = Residual(try Conv2d(input: 2, output: 3, kernel: (3, 3), padding: (1, 1), rng: &rng),
                            shortcut: try Conv2d(input: 2, output: 3, kernel: (1, 1), rng: &rng))
        try checkGradients(proj, input: randn([2, 2, 3, 3]))
        let cat = try Concat([try Conv2d(input: 2, output: 1, kernel: (1, 1), rng: &rng), Sequential([Flatten(), try Linear(input: 18, output: 9, rng: &rng)]).asImage(1, 3, 3)])
        try checkGradients(cat, input: randn([2, 2, 3, 3]))
        let drop = try Dropout(p: 0.3, rng: &rng)
        let saved = drop.rng
        try checkGradients(drop, input: randn([4, 5]), reset: { drop.rng = saved })
        drop.evaluate()
        XCTAssertEqual(try drop.forward(randn([3])).values, randn([3]).values)
    }

    func testFlattenKeepsBatch() throws {
        let f = Flatten()
        XCTAssertEqual(try f.forward(randn([2, 3, 4, 5])).shape, [2, 60])
        try checkGradients(f, input: randn([2, 3, 2]))
    }

    func testSkippedInputGradientIsZeroAndParametersStillCorrect() throws {
        let conv = try Conv2d(input: 2, output: 2, kernel: (3, 3), padding: (1, 1), rng: &rng)
        conv.needsInputGradient = false
        try checkGradients(conv, input: randn([2, 2, 4, 4]))
        XCTAssertEqual(try conv.backward(randn([2, 2, 4, 4]), randn([2, 2, 4, 4], 3)).max(), 0)
    }
}

/// A reshaping wrapper so a Linear branch can sit in a channel Concat in the test above.
private final class Reshape: Module {
    let inner: Module, shape: [Int]
    init(_ inner: Module, _ shape: [Int]) { self.inner = inner; self.shape = shape }
    override var children: [Module] { [inner] }
    override var parameters: [Tensor] { inner.parameters }
    override var gradients: [Tensor] { inner.gradients }
    override func forward(_ input: Tensor) throws -> Tensor {
        let y = try inner.forward(input)
        return try y.reshape([y.shape[0]] + shape)
    }
    override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try inner.backward(input, try gradOutput.reshape([gradOutput.shape[0], gradOutput.count / gradOutput.shape[0]]))
    }
}

private extension Module {
    func asImage(_ c: Int, _ h: Int, _ w: Int) -> Module { Reshape(self, [c, h, w]) }
}

/// The checker must reject a wrong backward, or every test above proves nothing.
final class GradientCheckerSelfTest: XCTestCase {
    private final class WrongReLU: Module {
        override func forward(_ input: Tensor) throws -> Tensor { input.maximum(0) }
        override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor { gradOutput.multiplying(0.9) }
    }

    func testCheckerDetectsAWrongGradient() throws {
        XCTAssertGreaterThan(try gradientErrors(WrongReLU(), input: randn([3, 3])).max()!, 0.1)
        XCTAssertLessThan(try gradientErrors(ReLU(), input: randn([3, 3]), eps: 1e-3).max()!, 1e-3)
    }
}
