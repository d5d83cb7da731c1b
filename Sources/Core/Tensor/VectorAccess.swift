import CKernels

/// SIMD access for the fused elementwise kernels.
///
/// LLVM does not vectorize the optimizer loops on its own (four or more pointers it cannot prove
/// disjoint, plus sqrt and division): measured 14 ms for a 10M-parameter Adam step, scalar.
/// Kernels therefore step 8 floats at a time. Storage capacity is a whole number of 16-float
/// lines (`TensorStorage`) and `Parallel.forRanges` splits at multiples of 64, so the last vector
/// of a range may run past `count` but never past the allocation or into another worker's range.
/// The arithmetic is the same IEEE single-precision operations as the scalar form, lane by lane.
public typealias Float8 = SIMD8<Float>

extension SIMD8 where Scalar == Float {
    /// Lane-wise square root in two packed `sqrtps`: `squareRoot()` on Linux goes lane by lane
    /// through C's errno-setting `sqrtf` (see CKernels). NaN for negative lanes, as IEEE sqrt.
    @inline(__always) public var packedSquareRoot: Float8 {
        var v = self, r = Float8()
        withUnsafePointer(to: &v) { a in
            withUnsafeMutablePointer(to: &r) { d in
                descent_sqrt8(UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self))
            }
        }
        return r
    }
}

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
