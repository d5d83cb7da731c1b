import CKernels
import Foundation

/// In-place operations (`name_` in Lua, as in PyTorch). Each returns `self` for chaining and
/// checks shapes before writing anything, so a failed call leaves the tensor untouched.
extension Tensor {
    /// `f` on eight elements at a time, in place (why vectors: `Tensor+Elementwise`).
    @inlinable
    public func applyVectors_(_ f: (Float8) -> Float8) {
        storage.noteWrite()
        let d = data
        Parallel.forRanges(count) { r in forEachVector(r) { i in d.setVector(i, f(d.vector(i))) } }
    }

    @inlinable
    public func applyVectors_(_ other: Tensor, _ op: String, _ f: (Float8, Float8) -> Float8) throws {
        try requireSameShape(other, op)
        storage.noteWrite()
        let d = data, o = other.data
        Parallel.forRanges(count) { r in forEachVector(r) { i in d.setVector(i, f(d.vector(i), o.vector(i))) } }
    }

    @discardableResult public func copy_(_ src: Tensor) throws -> Tensor {
        try requireSameShape(src, "copy_", "source")
        storage.noteWrite()
        if src.data != data { data.update(from: src.data, count: count) }
        return self
    }

    @discardableResult public func fill_(_ v: Float) -> Tensor {
        storage.noteWrite()
        data.update(repeating: v, count: count)
        return self
    }

    @discardableResult public func zero_() -> Tensor { fill_(0) }

    /// `self += alpha * x`.
    @discardableResult public func add_(_ x: Tensor, alpha: Float = 1) throws -> Tensor {
        if alpha == 1 { try applyVectors_(x, "add_") { $0 + $1 } } else { try applyVectors_(x, "add_") { $0 + alpha * $1 } }
        return self
    }
    @discardableResult public func add_(_ s: Float) -> Tensor { applyVectors_ { $0 + s }; return self }
    @discardableResult public func sub_(_ x: Tensor) throws -> Tensor { try applyVectors_(x, "sub_") { $0 - $1 }; return self }
    @discardableResult public func sub_(_ s: Float) -> Tensor { applyVectors_ { $0 - s }; return self }
    @discardableResult public func mul_(_ x: Tensor) throws -> Tensor { try applyVectors_(x, "mul_") { $0 * $1 }; return self }
    @discardableResult public func mul_(_ s: Float) -> Tensor { applyVectors_ { $0 * s }; return self }
    @discardableResult public func div_(_ x: Tensor) throws -> Tensor { try applyVectors_(x, "div_") { $0 / $1 }; return self }
    @discardableResult public func div_(_ s: Float) -> Tensor { applyVectors_ { $0 / s }; return self }
    @discardableResult public func sqrt_() -> Tensor {
        storage.noteWrite()
        let d = data
        Parallel.forRanges(count) { r in descent_sqrt_f32(d + r.lowerBound, d + r.lowerBound, (r.count + 7) / 8 * 8) }
        return self
    }
    @discardableResult public func clamp_(_ lo: Float, _ hi: Float) -> Tensor {
        applyVectors_ { $0.clamped(lo, hi) }
        return self
    }

    /// `self += value * a * b`.
    @discardableResult public func addcmul_(_ a: Tensor, _ b: Tensor, value: Float = 1) throws -> Tensor {
        try requireSameShape(a, "addcmul_", "tensor1")
        try requireSameShape(b, "addcmul_", "tensor2")
        storage.noteWrite()
        let d = data, x = a.data, y = b.data
        Parallel.forRanges(count) { r in for i in r { d[i] += value * x[i] * y[i] } }
        return self
    }

    /// `self += value * a / b`.
    @discardableResult public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Float = 1) throws -> Tensor {
        try requireSameShape(a, "addcdiv_", "tensor1")
        try requireSameShape(b, "addcdiv_", "tensor2")
        storage.noteWrite()
        let d = data, x = a.data, y = b.data
        Parallel.forRanges(count) { r in for i in r { d[i] += value * x[i] / y[i] } }
        return self
    }

    /// `self += w * (end - self)`, with `w` a number or a tensor.
    @discardableResult public func lerp_(_ end: Tensor, weight w: Float) throws -> Tensor {
        try applyVectors_(end, "lerp_") { $0 + w * ($1 - $0) }
        return self
    }

    @discardableResult public func lerp_(_ end: Tensor, weight w: Tensor) throws -> Tensor {
        try requireSameShape(end, "lerp_", "end")
        try requireSameShape(w, "lerp_", "weight")
        storage.noteWrite()
        let d = data, e = end.data, ww = w.data
        Parallel.forRanges(count) { r in for i in r { d[i] += ww[i] * (e[i] - d[i]) } }
        return self
    }
}
