import COpenBLAS

/// Matrix products through OpenBLAS SGEMM, which does this better than any hand-written loop.
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

/// Row-major SGEMM: `C = alpha * op(A) * op(B) + beta * C`. The one entry point to OpenBLAS.
@inline(__always)
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The kernel family OpenBLAS runs (e.g. "Haswell"), as chosen from the CPU or `OPENBLAS_CORETYPE`.
public var blasCoreName: String { String(cString: openblas_get_corename()) }
