import CDNNL
import Foundation

/// How `DNNLConvolution` cuts a batch: chunks of `images` images (the last may be smaller), each
/// run by one thread through primitives planned for one thread.
///
/// Why: a primitive run by a whole OpenMP team splits its work statically and ends in a
/// barrier, so one thread the OS deschedules (another process on the core) stalls the step;
/// a chunk a thread has not started is taken by the next free thread (`Parallel.forEachTaken`).
/// A chunk's result does not depend on which thread runs it, and the weight gradient's partial
/// sums are added in chunk order, so the convolutions give the same bits at any thread count.
/// The chunk size depends on the batch and the layer only, never on the threads.
struct ConvolutionChunks {
    let batch: Int
    let images: Int

    /// What a chunk's input and output may take together: one core's L2 on the machines we run
    /// on (1 MiB on Zen 4 and 5). Chunks that stay in L2 made the reference step faster: 77.1 ->
    /// 80.1-81.0 steps/s at one thread, 130.5 -> 136.2 at two (AMD EPYC, 2026-12-03, in turn
    /// with chunks of 8 for every layer); the 16 -> 32 layer's chunks went from 8 images to 4.
    static let cacheBytes = 1 << 20

    /// 8 images (the whole batch when smaller), halved to 4 while a chunk's `imageBytes` (input
    /// and output of one image) exceed `cacheBytes`. Not fewer than 4: on small images Winograd
    /// needs many tiles per call (the detector's 64 -> 64 layer at 8x8 took 1.7 ms per 32
    /// images in chunks of 8 or more and 3.2 ms in chunks of 4; with chunks of 4 for its batch of
    /// 16, the detector step fell from 155 to 130 steps/s at one thread).
    init(batch: Int, imageBytes: Int) {
        self.batch = batch
        var n = max(1, min(batch, 8))
        while n > 4, n * imageBytes > Self.cacheBytes { n /= 2 }
        images = n
    }

    var count: Int { (batch + images - 1) / images }

    /// The first image of chunk `c` and its image count.
    func chunk(_ c: Int) -> (first: Int, images: Int) {
        let first = c * images
        return (first, min(images, batch - first))
    }

    /// The distinct chunk sizes: the full one, and the last one's when it is smaller.
    var sizes: [Int] { batch % images == 0 ? [images] : [images, batch % images] }
}

extension dnnl_memory_desc_t {
    /// Floats between consecutive images when the batch is the outermost dimension of a plain or
    /// channel-blocked layout (so a chunk of images is a contiguous range); nil otherwise.
    var imageStride: Int? {
        guard format_kind == dnnl_blocked, ndims == 4 else { return nil }
        let b = format_desc.blocking
        let idxs = withUnsafeBytes(of: b.inner_idxs) { Array($0.bindMemory(to: Int64.self).prefix(Int(b.inner_nblks))) }
        let blks = withUnsafeBytes(of: b.inner_blks) { Array($0.bindMemory(to: Int64.self).prefix(Int(b.inner_nblks))) }
        guard !idxs.contains(0) else { return nil }
        let strides = withUnsafeBytes(of: b.strides) { Array($0.bindMemory(to: Int64.self).prefix(4)) }
        let padded = withUnsafeBytes(of: padded_dims) { Array($0.bindMemory(to: Int64.self).prefix(4)) }
        // Each other dimension's outer extent (its padded size over its inner blocks) fits inside one image's stride.
        let outer = (0..<4).map { k in padded[k] / zip(idxs, blks).filter { $0.0 == Int64(k) }.reduce(1) { $0 * $1.1 } }
        guard (1..<4).allSatisfy({ strides[0] >= strides[$0] * outer[$0] }) else { return nil }
        return Int(strides[0])
    }

    /// The same layout for `n` images (valid where `imageStride` is not nil).
    func withBatch(_ n: Int) -> dnnl_memory_desc_t {
        var d = self
        d.dims.0 = Int64(n)
        d.padded_dims.0 = Int64(n)
        return d
    }
}
