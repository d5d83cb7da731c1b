/// Geometry of a 2-D convolution or pooling window, and the im2col/col2im transforms that turn a
/// convolution into one SGEMM per image.
public struct ConvGeometry: Equatable {
    public let channels, height, width: Int
    public let kernelH, kernelW, strideH, strideW, padH, padW: Int

    public var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: one per (channel, ky, kx).
    public var patchSize: Int { channels * kernelH * kernelW }
    public var outPixels: Int { outHeight * outWidth }
    /// A 1x1, stride-1, unpadded convolution is a plain GEMM on the image itself.
    public var isPointwise: Bool { kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 }

    /// Writes the `[patchSize, outPixels]` column matrix of one `[C,H,W]` image.
    public func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let oh = outHeight, ow = outWidth
        var row = cols
        for c in 0..<channels {
            let plane = image + c * height * width
            for ky in 0..<kernelH {
                for kx in 0..<kernelW {
                    // Output columns whose input x lies inside the image: same for every row.
                    let (x0, x1) = validRange(kx, padW, strideW, width, ow)
                    for oy in 0..<oh {
                        let dst = row + oy * ow
                        let iy = oy * strideH - padH + ky
                        if iy < 0 || iy >= height || x0 >= x1 {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * width
                        if x0 > 0 { dst.update(repeating: 0, count: x0) }
                        if strideW == 1 {
                            (dst + x0).update(from: src + (x0 - padW + kx), count: x1 - x0)
                        } else {
                            var ix = x0 * strideW - padW + kx
                            for ox in x0..<x1 { dst[ox] = src[ix]; ix += strideW }
                        }
                        if x1 < ow { (dst + x1).update(repeating: 0, count: ow - x1) }
                    }
                    row += oh * ow
                }
            }
        }
    }

    /// Adds the column matrix back into a `[C,H,W]` image gradient (the adjoint of im2col).
    public func col2im(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let oh = outHeight, ow = outWidth
        var row = cols
        for c in 0..<channels {
            let plane = image + c * height * width
            for ky in 0..<kernelH {
                for kx in 0..<kernelW {
                    let (x0, x1) = validRange(kx, padW, strideW, width, ow)
                    for oy in 0..<oh {
                        let iy = oy * strideH - padH + ky
                        guard iy >= 0, iy < height, x0 < x1 else { continue }
                        let src = row + oy * ow
                        let dst = plane + iy * width
                        var ix = x0 * strideW - padW + kx
                        if strideW == 1 {
                            addRow(dst + ix, src + x0, x1 - x0)
                        } else {
                            for ox in x0..<x1 { dst[ix] += src[ox]; ix += strideW }
                        }
                    }
                    row += oh * ow
                }
            }
        }
    }

    /// `dst[i] += src[i]` for i < n, eight at a time (the two may alias as far as LLVM knows, so
    /// it would not vectorize the plain loop).
    @inline(__always)
    private func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let d = UnsafeMutableRawPointer(dst + i), s = UnsafeRawPointer(src + i)
            d.storeBytes(of: d.loadUnaligned(as: Float8.self) + s.loadUnaligned(as: Float8.self), as: Float8.self)
            i += 8
        }
        while i < n { dst[i] += src[i]; i += 1 }
    }

    /// The output columns `x0..<x1` whose input column `ox*stride - pad + k` is inside `0..<width`.
    @inline(__always)
    private func validRange(_ k: Int, _ pad: Int, _ stride: Int, _ width: Int, _ ow: Int) -> (Int, Int) {
        // ox*stride >= pad - k  and  ox*stride <= width - 1 + pad - k
        let lo = pad - k
        let x0 = lo <= 0 ? 0 : (lo + stride - 1) / stride
        let hiNum = width - 1 + pad - k
        let x1 = hiNum < 0 ? 0 : min(ow, hiNum / stride + 1)
        return (min(x0, ow), x1)
    }
}

/// Reads a 4-D NCHW input for layer `op`, checking rank and channel count.
func imageDims(_ input: Tensor, _ op: String, channels: Int? = nil) throws -> (n: Int, c: Int, h: Int, w: Int) {
    try imageDims(input.shape, op, channels: channels)
}

func imageDims(_ s: [Int], _ op: String, channels: Int? = nil) throws -> (n: Int, c: Int, h: Int, w: Int) {
    guard s.count == 4 else { throw DescentError.shape(op, expected: "input of rank 4 [N,C,H,W]", got: s) }
    if let channels, s[1] != channels {
        throw DescentError(op, "input with \(channels) channels expected, got \(s[1]) (shape \(formatShape(s)))")
    }
    return (s[0], s[1], s[2], s[3])
}
