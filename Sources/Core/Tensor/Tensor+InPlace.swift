import Foundation

/// In-place operations (`name_` in Lua, as in PyTorch). Each returns `self` for chaining and
/// checks shapes before writing anything, so a failed call leaves the tensor untouched.
extension Tensor {
    @inlinable
    public func apply_(_ f: (Float) -> Float) {
        let d = data
        Parallel.forRanges(count) { r in
            for i in r { d[i] = f(d[i]) }
        }
    }

    @inlinable
    public func apply_(_ other: Tensor, _ op: String, _ f: (Float, Float) -> Float) throws {
        try requireSameShape(other, op)
        let d = data, o = other.data
        Parallel.forRanges(count) { r in
            for i in r { d[i] = f(d[i], o[i]) }
        }
    }

    @discardableResult public func copy_(_ src: Tensor) throws -> Tensor {
        try requireSameShape(src, "copy_", "source")
        if src.data != data { data.update(from: src.data, count: count) }
        return self
    }

    @discardableResult public func fill_(_ v: Float) -> Tensor {
        data.update(repeating: v, count: count)
        return self
    }

    @discardableResult public func zero_() -> Tensor { fill_(0) }

    /// `self += alpha * x`.
    @discardableResult public func add_(_ x: Tensor, alpha: Float = 1) throws -> Tensor {
        if alpha == 1 { try apply_(x, "add_") { $0 + $1 } } else { try apply_(x, "add_") { $0 + alpha * $1 } }
        return self
    }
    @discardableResult public func add_(_ s: Float) -> Tensor { apply_ { $0 + s }; return self }
    @discardableResult public func sub_(_ x: Tensor) throws -> Tensor { try apply_(x, "sub_") { $0 - $1 }; return self }
    @discardableResult public func sub_(_ s: Float) -> Tensor { apply_ { $0 - s }; return self }
    @discardableResult public func mul_(_ x: Tensor) throws -> Tensor { try apply_(x, "mul_") { $0 * $1 }; return self }
    @discardableResult public func mul_(_ s: Float) -> Tensor { apply_ { $0 * s }; return self }
    @discardableResult public func div_(_ x: Tensor) throws -> Tensor { try apply_(x, "div_") { $0 / $1 }; return self }
    @discardableResult public func div_(_ s: Float) -> Tensor { apply_ { $0 / s }; return self }
    @discardableResult public func sqrt_() -> Tensor { apply_ { $0.squareRoot() }; return self }
    @discardableResult public func clamp_(_ lo: Float, _ hi: Float) -> Tensor {
        apply_ { Swift.min(Swift.max($0, lo), hi) }
        return self
    }

    /// `self += value * a * b`.
    @discardableResult public func addcmul_(_ a: Tensor, _ b: Tensor, value: Float = 1) throws -> Tensor {
        try requireSameShape(a, "addcmul_", "tensor1")
        try requireSameShape(b, "addcmul_", "tensor2")
        let d = data, x = a.data, y = b.data
        Parallel.forRanges(count) { r in for i in r { d[i] += value * x[i] * y[i] } }
        return self
    }

    /// `self += value * a / b`.
    @discardableResult public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Float = 1) throws -> Tensor {
        try requireSameShape(a, "addcdiv_", "tensor1")
        try requireSameShape(b, "addcdiv_", "tensor2")
        let d = data, x = a.data, y = b.data
        Parallel.forRanges(count) { r in for i in r { d[i] += value * x[i] / y[i] } }
        return self
    }

    /// `self += w * (end - self)`, with `w` a number or a tensor.
    @discardableResult public func lerp_(_ end: Tensor, weight w: Float) throws -> Tensor {
        try apply_(end, "lerp_") { $0 + w * ($1 - $0) }
        return self
    }

    @discardableResult public func lerp_(_ end: Tensor, weight w: Tensor) throws -> Tensor {
        try requireSameShape(end, "lerp_", "end")
        try requireSameShape(w, "lerp_", "weight")
        let d = data, e = end.data, ww = w.data
        Parallel.forRanges(count) { r in for i in r { d[i] += ww[i] * (e[i] - d[i]) } }
        return self
    }
}
