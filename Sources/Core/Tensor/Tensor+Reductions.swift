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

    /// Sum of squares, in Double.
    public func sumOfSquares() -> Double {
        var s = 0.0
        for i in 0..<count { let v = Double(data[i]); s += v * v }
        return s
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

    /// True when every element is finite.
    public var allFinite: Bool {
        for i in 0..<count where !data[i].isFinite { return false }
        return true
    }
}
