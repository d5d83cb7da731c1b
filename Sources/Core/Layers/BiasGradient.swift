import CKernels

/// A convolution's bias gradient: each image's output gradient summed per channel in Double in
/// window order (`descent_window_sums`), then the images in order, rounded to Float once.
///
/// One definition for every path (oneDNN, im2col, NCHW or channel-blocked, any thread count),
/// and one that a 2x2 max pool's backward computes as it writes the gradient: inside
/// `Sequential` the pool after the layer fills `images(_:)` and the layer reads no gradient
/// again (oneDNN's own bias reduction re-read it: 4% of a reference-CNN step on AVX-512, 8% on
/// AVX2).
final class BiasGradient {
    private var sums: UnsafeMutablePointer<Double>?
    private var capacity = 0

    deinit { sums?.deallocate() }

    /// Room for `n` images of `channels` sums, image i's at `i * channels`.
    func images(_ n: Int, channels: Int) -> UnsafeMutablePointer<Double> {
        let count = max(1, n * channels)
        if count > capacity {
            sums?.deallocate()
            sums = .allocate(capacity: count)
            capacity = count
        }
        return sums!
    }

    /// Fills the sums from `gradOutput`, `[n, channels, h, w]`, NCHW or blocked by `block`.
    func sum(_ gradOutput: Tensor, n: Int, channels: Int, h: Int, w: Int, block: Int) {
        let s = images(n, channels: channels), g = gradOutput.data, per = channels * h * w
        Parallel.forEach(n) { i in
            descent_window_sums(g + i * per, Int32(channels), Int32(h), Int32(w), Int32(block), s + i * channels)
        }
    }

    /// `gradBias[o] += Σ_i sums[i][o]`, the images in order.
    func accumulate(into gradBias: Tensor, n: Int) {
        let channels = gradBias.count, s = images(n, channels: channels), gb = gradBias.data
        for o in 0..<channels {
            var total = 0.0
            for i in 0..<n { total += s[i * channels + o] }
            gb[o] += Float(total)
        }
    }
}
