/// SIMD access for Swift's elementwise loops (tensor ops, activation gradients, reductions).
///
/// LLVM does not vectorize such loops on its own when it cannot prove the pointers disjoint
/// (measured: 14 ms for a 10M-parameter Adam step, scalar, when Adam's pass was Swift; the
/// optimizers' passes are C now, `adam.c` and `rmsprop.c`). Loops therefore step 8 floats at a
/// time. Storage capacity is a whole number of 16-float lines (`TensorStorage`) and
/// `Parallel.forRanges` splits at multiples of 64, so the last vector of a range may run past
/// `count` but never past the allocation or into another worker's range.
/// The arithmetic is the same IEEE single-precision operations as the scalar form, lane by lane.
public typealias Float8 = SIMD8<Float>

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) public func vector(_ i: Int) -> Float8 {
        UnsafeRawPointer(self + i).loadUnaligned(as: Float8.self)
    }

    @inline(__always) public func setVector(_ i: Int, _ v: Float8) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: Float8.self)
    }
}

/// Calls `body(i)` for i = lowerBound, lowerBound+8, ... below upperBound.
@inline(__always) public func forEachVector(_ r: Range<Int>, _ body: (Int) -> Void) {
    var i = r.lowerBound
    while i < r.upperBound {
        body(i)
        i &+= 8
    }
}
