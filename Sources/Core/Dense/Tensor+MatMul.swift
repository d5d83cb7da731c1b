import CDNNL

/// Matrix products through oneDNN's SGEMM, which does this better than any hand-written loop.
extension Tensor {
    /// `op(a) * op(b)` for 2-D tensors, where `op` transposes when asked.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank == 2 else { throw DescentError.shape("matmul", expected: "matrix (rank 2) as first argument", got: a.shape) }
        guard b.rank == 2 else { throw DescentError.shape("matmul", expected: "matrix (rank 2) as second argument", got: b.shape) }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2 else {
            throw DescentError("matmul", "inner dimensions must agree: \(formatShape(a.shape))\(transposeA ? "ᵀ" : "") x \(formatShape(b.shape))\(transposeB ? "ᵀ" : "")")
        }
        let c = Tensor(zeros: [m, n])
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             alpha: 1, a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1], beta: 0, c: c.data, ldc: n)
        return c
    }
}

/// Row-major SGEMM: `C = alpha * op(A) * op(B) + beta * C`, on up to `threads` threads (1 inside
/// a `Parallel` worker, which already has its share of the cores). The one entry point to GEMM.
///
/// Threads split the rows of C into contiguous blocks, each a one-thread `dnnl_sgemm`: oneDNN's
/// own threading allocated and freed its packing buffers on every call (measured: ~115 page
/// faults per 2-thread reference-CNN step), and the split keeps the policy of threading at the
/// outermost level.
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallel.threads) {
    guard m > 0, n > 0 else { return }
    let workers = min(threads, Parallel.threads, max(1, m / 16))
    let block = (m + workers - 1) / workers
    Parallel.forEachWorker(workers) { w, _ in
        let r0 = w * block, rows = min(block, m - r0)
        guard rows > 0 else { return }
        OneDNN.useOneThread()
        // Rows of op(A) start r0 rows down A, or r0 columns across it when A is transposed.
        let status = dnnl_sgemm(transposeA ? 84 : 78, transposeB ? 84 : 78, Int64(rows), Int64(n), Int64(k), alpha,
                                transposeA ? a + r0 : a + r0 * lda, Int64(lda), b, Int64(ldb), beta, c + r0 * ldc, Int64(ldc))
        // 84 = "T", 78 = "N". Only invalid arguments fail, and every caller derives them from checked shapes.
        precondition(status == dnnl_success, "dnnl_sgemm rejected m=\(rows) n=\(n) k=\(k) (status \(status.rawValue))")
    }
}
