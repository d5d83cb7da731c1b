import CKernels
import Foundation

/// Reductions to a number. Sums accumulate in Double so that a 10M-element mean is exact to
/// Float precision; min/max propagate NaN as PyTorch does.
extension Tensor {
    public func sum() -> Double {
        var s = 0.0
        for i in 0..<count { s += Double(data[i]) }
        return s
    }

    public func mean() -> Double { count == 0 ? .nan : sum() / Double(count) }

    public func min() -> Float {
        guard count > 0 else { return .nan }
        var m = data[0]
        for i in 0..<count {
            let v = data[i]
            if v.isNaN { return v }
            if v < m { m = v }
        }
        return m
    }

    public func max() -> Float {
        guard count > 0 else { return .nan }
        var m = data[0]
        for i in 0..<count {
            let v = data[i]
            if v.isNaN { return v }
            if v > m { m = v }
        }
        return m
    }

    /// Sum of squares, in Double: per block of 4096 elements (on the thread team), then the
    /// blocks in order, so the result does not depend on the number of threads. A chain's
    /// global-norm clipping is this one reading pass.
    public func sumOfSquares() -> Double { Self.sumOfSquares([self]) }

    /// The sum of squares of all of `tensors` together (a global norm): one pass on the thread
    /// team over blocks of 4096 elements of every tensor, then the blocks in order.
    public static func sumOfSquares(_ tensors: [Tensor]) -> Double {
        let block = 4096
        var starts: [Int] = [], total = 0
        for t in tensors {
            starts.append(total)
            total += (t.count + block - 1) / block
        }
        guard total > 1 else { return tensors.first.map { sumOfSquares($0.data, 0..<$0.count) } ?? 0 }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { partial in
            Parallel.forRanges(total, grain: 16) { r in
                var k = 0
                for b in r {
                    while k + 1 < starts.count, starts[k + 1] <= b { k += 1 }
                    let t = tensors[k], lo = (b - starts[k]) * block
                    partial[b] = sumOfSquares(t.data, lo..<Swift.min(t.count, lo + block))
                }
            }
            var s = 0.0
            for b in 0..<total { s += partial[b] }
            return s
        }
    }

    static func sumOfSquares(_ d: UnsafeMutablePointer<Float>, _ r: Range<Int>) -> Double {
        descent_sum_of_squares(d + r.lowerBound, r.count)
    }

    /// Euclidean (Frobenius) norm.
    public func norm() -> Double { sumOfSquares().squareRoot() }

    /// Sum of elementwise products with `other` (same shape).
    public func dot(_ other: Tensor) throws -> Double {
        try requireSameShape(other, "dot")
        var s = 0.0
        for i in 0..<count { s += Double(data[i]) * Double(other.data[i]) }
        return s
    }

    /// Population standard deviation (the REPL's summary statistic).
    public func std() -> Double {
        guard count > 0 else { return .nan }
        let m = mean()
        var s = 0.0
        for i in 0..<count { let d = Double(data[i]) - m; s += d * d }
        return (s / Double(count)).squareRoot()
    }

    /// True when every element is finite. One SIMD pass: `x - x` is 0 for finite x and NaN for
    /// NaN and ±Inf, so a running sum of it stays 0 exactly when all are finite.
    public var allFinite: Bool {
        let d = data, n = count
        var bad = false
        let lock = NSLock()
        Parallel.forRanges(n) { r in
            var acc = Float8(repeating: 0)
            let vectorEnd = r.lowerBound + (r.count & ~7)
            forEachVector(r.lowerBound..<vectorEnd) { i in
                let x = d.vector(i)
                acc += x - x
            }
            var tail: Float = 0
            for i in vectorEnd..<r.upperBound { tail += d[i] - d[i] }
            if acc.sum() != 0 || tail != 0 {  // NaN != 0 holds
                lock.lock()
                bad = true
                lock.unlock()
            }
        }
        return !bad
    }
}
