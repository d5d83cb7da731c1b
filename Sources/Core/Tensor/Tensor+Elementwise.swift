import CKernels
import Foundation

/// Elementwise operations that return new tensors. Binary ones take two tensors of the same
/// shape or a tensor and a number (no implicit broadcasting: a shape mismatch is an error,
/// never a silent expansion). Large tensors are split across `Parallel.threads`.
///
/// The functions take eight elements at a time (`Float8`): the worker closures of
/// `Parallel.forRanges` cannot inline a closure they capture, and an indirect call per element
/// made these ops 6x slower on two threads than on one (`mul_`, 10M floats: 7.1 vs 0.9 ms).
/// The comparisons are written so NaN propagates as in the scalar forms (`Swift.max(NaN, 0)` is
/// NaN, and so is `relu(NaN)` here). The last vector of a tensor may run past `count` inside the
/// storage's capacity (`VectorAccess`).
extension Tensor {
    /// `f` applied to every vector of eight elements, into a new tensor.
    @inlinable
    public func mapVectors(_ f: (Float8) -> Float8) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let src = data, dst = out.data
        Parallel.forRanges(count) { r in forEachVector(r) { i in dst.setVector(i, f(src.vector(i))) } }
        return out
    }

    /// `f` applied pairwise with `other` (same shape), into a new tensor.
    @inlinable
    public func zipMapVectors(_ other: Tensor, _ op: String, _ f: (Float8, Float8) -> Float8) throws -> Tensor {
        try requireSameShape(other, op)
        let out = Tensor(uninitialized: shape)
        let a = data, b = other.data, dst = out.data
        Parallel.forRanges(count) { r in forEachVector(r) { i in dst.setVector(i, f(a.vector(i), b.vector(i))) } }
        return out
    }

    public func adding(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "add") { $0 + $1 } }
    public func subtracting(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "sub") { $0 - $1 } }
    public func multiplying(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "mul") { $0 * $1 } }
    public func dividing(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "div") { $0 / $1 } }
    public func maximum(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "maximum") { Float8.max($0, $1) } }
    public func minimum(_ o: Tensor) throws -> Tensor { try zipMapVectors(o, "minimum") { Float8.min($0, $1) } }

    public func adding(_ s: Float) -> Tensor { mapVectors { $0 + s } }
    public func multiplying(_ s: Float) -> Tensor { mapVectors { $0 * s } }
    public func maximum(_ s: Float) -> Tensor { mapVectors { Float8.max($0, Float8(repeating: s)) } }
    public func minimum(_ s: Float) -> Tensor { mapVectors { Float8.min($0, Float8(repeating: s)) } }
    /// `s - self`.
    public func subtracted(from s: Float) -> Tensor { mapVectors { s - $0 } }
    /// `self / s`.
    public func dividing(_ s: Float) -> Tensor { mapVectors { $0 / s } }
    /// `s / self`.
    public func divided(into s: Float) -> Tensor { mapVectors { s / $0 } }

    public func negated() -> Tensor { mapVectors { -$0 } }
    public func sqrt() -> Tensor {
        let out = Tensor(uninitialized: shape)
        let src = data, dst = out.data
        Parallel.forRanges(count) { r in descent_sqrt_f32(src + r.lowerBound, dst + r.lowerBound, (r.count + 7) / 8 * 8) }
        return out
    }
    public func abs() -> Tensor { mapVectors { $0.lanes { Swift.abs($0) } } }
    /// -1, 0 or 1 (0 for zero, NaN stays NaN), as `torch.sign`.
    public func sign() -> Tensor { mapVectors { $0.lanes { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) } } }
    public func exp() -> Tensor { mapVectors { $0.lanes { Foundation.exp($0) } } }
    public func log() -> Tensor { mapVectors { $0.lanes { Foundation.log($0) } } }
    public func square() -> Tensor { mapVectors { $0 * $0 } }
    public func clamp(_ lo: Float, _ hi: Float) -> Tensor { mapVectors { $0.clamped(lo, hi) } }
}

extension SIMD8 where Scalar == Float {
    /// `f` on each lane (for functions with no vector form); inlined into the caller's closure.
    @inline(__always) public func lanes(_ f: (Float) -> Float) -> Float8 {
        var r = Float8()
        for i in 0..<8 { r[i] = f(self[i]) }
        return r
    }

    /// Lane-wise `Swift.max(a, b)`: `b >= a ? b : a` (so a NaN in `a` stays).
    @inline(__always) public static func max(_ a: Float8, _ b: Float8) -> Float8 { a.replacing(with: b, where: b .>= a) }
    /// Lane-wise `Swift.min(a, b)`: `b < a ? b : a`.
    @inline(__always) public static func min(_ a: Float8, _ b: Float8) -> Float8 { a.replacing(with: b, where: b .< a) }

    /// Lane-wise `Swift.min(Swift.max(x, lo), hi)`.
    @inline(__always) public func clamped(_ lo: Float, _ hi: Float) -> Float8 {
        Float8.min(Float8.max(self, Float8(repeating: lo)), Float8(repeating: hi))
    }
}
