import Foundation

/// Elementwise operations that return new tensors. Binary ones take two tensors of the same
/// shape or a tensor and a number (no implicit broadcasting: a shape mismatch is an error,
/// never a silent expansion). Large tensors are split across `Parallel.threads`.
extension Tensor {
    /// `f` applied to every element, into a new tensor.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let src = data, dst = out.data
        Parallel.forRanges(count) { r in
            for i in r { dst[i] = f(src[i]) }
        }
        return out
    }

    /// `f` applied pairwise with `other` (same shape), into a new tensor.
    @inlinable
    public func zipMap(_ other: Tensor, _ op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        try requireSameShape(other, op)
        let out = Tensor(uninitialized: shape)
        let a = data, b = other.data, dst = out.data
        Parallel.forRanges(count) { r in
            for i in r { dst[i] = f(a[i], b[i]) }
        }
        return out
    }

    public func adding(_ o: Tensor) throws -> Tensor { try zipMap(o, "add") { $0 + $1 } }
    public func subtracting(_ o: Tensor) throws -> Tensor { try zipMap(o, "sub") { $0 - $1 } }
    public func multiplying(_ o: Tensor) throws -> Tensor { try zipMap(o, "mul") { $0 * $1 } }
    public func dividing(_ o: Tensor) throws -> Tensor { try zipMap(o, "div") { $0 / $1 } }
    public func maximum(_ o: Tensor) throws -> Tensor { try zipMap(o, "maximum") { Swift.max($0, $1) } }
    public func minimum(_ o: Tensor) throws -> Tensor { try zipMap(o, "minimum") { Swift.min($0, $1) } }

    public func adding(_ s: Float) -> Tensor { map { $0 + s } }
    public func multiplying(_ s: Float) -> Tensor { map { $0 * s } }
    public func maximum(_ s: Float) -> Tensor { map { Swift.max($0, s) } }
    public func minimum(_ s: Float) -> Tensor { map { Swift.min($0, s) } }
    /// `s - self`.
    public func subtracted(from s: Float) -> Tensor { map { s - $0 } }
    /// `self / s`.
    public func dividing(_ s: Float) -> Tensor { map { $0 / s } }
    /// `s / self`.
    public func divided(into s: Float) -> Tensor { map { s / $0 } }

    public func negated() -> Tensor { map { -$0 } }
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// -1, 0 or 1 (0 for zero, NaN stays NaN), as `torch.sign`.
    public func sign() -> Tensor { map { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) } }
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    public func log() -> Tensor { map { Foundation.log($0) } }
    public func square() -> Tensor { map { $0 * $0 } }
    public func clamp(_ lo: Float, _ hi: Float) -> Tensor { map { Swift.min(Swift.max($0, lo), hi) } }
}
