import Foundation

/// What matrix-aware optimizers (Muon, Adafactor, LAMB) need beyond elementwise math: the
/// matrix product (`Tensor.matmul`, on oneDNN's GEMM), transposes, sums and means along one
/// dimension, the root mean square, and NumPy broadcasting of the four arithmetic operators.
extension Tensor {
    /// Dimensions `i` and `j` (0-based) exchanged, as a new contiguous tensor.
    public func transposed(_ i: Int, _ j: Int) throws -> Tensor {
        guard (0..<rank).contains(i), (0..<rank).contains(j) else {
            throw DescentError("transpose", "dimensions \(i + 1) and \(j + 1) expected in 1..\(rank) for shape \(formatShape(shape))")
        }
        var newShape = shape
        newShape.swapAt(i, j)
        let out = try Tensor.checked(newShape, "transpose", zeroed: false)
        guard count > 0 else { return out }
        if rank == 2 {
            let (r, c) = (shape[0], shape[1])
            let src = data, dst = out.data
            // Tiles of 32 keep both sides in cache.
            for r0 in stride(from: 0, to: r, by: 32) {
                for c0 in stride(from: 0, to: c, by: 32) {
                    for y in r0..<Swift.min(r, r0 + 32) {
                        for x in c0..<Swift.min(c, c0 + 32) { dst[x * r + y] = src[y * c + x] }
                    }
                }
            }
            return out
        }
        let inStrides = Tensor.strides(shape)
        var permuted = inStrides
        permuted.swapAt(i, j)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var offset = 0
            for d in 0..<rank { offset += index[d] * permuted[d] }
            out.data[o] = data[offset]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < newShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Sum along dimension `dim` (0-based), in Double per output element; `keepdim` keeps it
    /// as an extent of 1 (PyTorch's `sum(dim, keepdim)`).
    public func sum(dim: Int, keepdim: Bool = false) throws -> Tensor {
        guard (0..<rank).contains(dim) else {
            throw DescentError("sum", "dimension \(dim + 1) expected in 1..\(rank) for shape \(formatShape(shape))")
        }
        let outer = shape[..<dim].reduce(1, *), n = shape[dim], inner = shape[(dim + 1)...].reduce(1, *)
        var newShape = shape
        if keepdim { newShape[dim] = 1 } else { newShape.remove(at: dim) }
        let out = try Tensor.checked(newShape, "sum")
        var acc = [Double](repeating: 0, count: inner)
        for o in 0..<outer {
            for k in 0..<inner { acc[k] = 0 }
            for m in 0..<n {
                let row = data + (o * n + m) * inner
                for k in 0..<inner { acc[k] += Double(row[k]) }
            }
            for k in 0..<inner { out.data[o * inner + k] = Float(acc[k]) }
        }
        return out
    }

    /// Mean along dimension `dim`; NaN where the dimension is empty.
    public func mean(dim: Int, keepdim: Bool = false) throws -> Tensor {
        let s = try sum(dim: dim, keepdim: keepdim)
        let n = Float(shape[dim])
        for i in 0..<s.count { s.data[i] /= n }
        return s
    }

    /// Root mean square of all elements, sqrt(mean(x^2)), in Double; NaN when empty.
    public func rms() -> Double { count == 0 ? .nan : (sumOfSquares() / Double(count)).squareRoot() }

    /// Row-major strides of `shape`, in elements.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
        return s
    }

    /// The shape two shapes broadcast to (NumPy's rule: align on the right; each pair of extents
    /// equal, or one of them 1), or nil when they do not.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for k in 0..<rank {
            let x = k < rank - a.count ? 1 : a[k - (rank - a.count)]
            let y = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[k] = x == 1 ? y : x
        }
        return out
    }

    /// `op` applied to this and `other` broadcast to a common shape (a row or a column vector
    /// against a matrix, say). `name` is the operation, for errors.
    public func broadcasting(_ other: Tensor, _ name: String, _ op: (Float, Float) -> Float) throws -> Tensor {
        guard let shape = Tensor.broadcastShape(self.shape, other.shape) else {
            throw DescentError(name, "shapes \(formatShape(self.shape)) and \(formatShape(other.shape)) do not broadcast (each pair of extents, aligned on the right, must be equal or 1)")
        }
        let out = try Tensor.checked(shape, name, zeroed: false)
        func strides(of s: [Int]) -> [Int] {
            let own = Tensor.strides(s), pad = shape.count - s.count
            return (0..<shape.count).map { k in k < pad || s[k - pad] == 1 ? 0 : own[k - pad] }
        }
        let sa = strides(of: self.shape), sb = strides(of: other.shape)
        var index = [Int](repeating: 0, count: shape.count)
        var ia = 0, ib = 0
        for o in 0..<out.count {
            out.data[o] = op(data[ia], other.data[ib])
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                ia += sa[d]
                ib += sb[d]
                if index[d] < shape[d] { break }
                ia -= sa[d] * shape[d]
                ib -= sb[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
