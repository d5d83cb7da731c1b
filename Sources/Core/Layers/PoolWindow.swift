/// Window parameters shared by the pooling layers, validated once.
public struct PoolWindow {
    public let kernel, stride, padding: (h: Int, w: Int)

    init(_ op: String, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)) throws {
        let s = stride ?? kernel
        for (v, name) in [(kernel.0, "kernel"), (kernel.1, "kernel"), (s.0, "stride"), (s.1, "stride")] {
            try requirePositive(v, op, name)
        }
        guard padding.0 >= 0, padding.1 >= 0, padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw DescentError.argument(op, "padding", "must be between 0 and half the kernel, got (\(padding.0), \(padding.1))")
        }
        self.kernel = (kernel.0, kernel.1)
        self.stride = (s.0, s.1)
        self.padding = (padding.0, padding.1)
    }

    func geometry(_ input: Tensor, _ op: String) throws -> (n: Int, ConvGeometry) { try geometry(input.shape, op) }

    func geometry(_ shape: [Int], _ op: String) throws -> (n: Int, ConvGeometry) {
        let (n, c, h, w) = try imageDims(shape, op)
        guard h + 2 * padding.h >= kernel.h, w + 2 * padding.w >= kernel.w else {
            throw DescentError(op, "input of \(h)x\(w) is smaller than the \(kernel.h)x\(kernel.w) window")
        }
        return (n, ConvGeometry(channels: c, height: h, width: w, kernelH: kernel.h, kernelW: kernel.w,
                                strideH: stride.h, strideW: stride.w, padH: padding.h, padW: padding.w))
    }

    var text: String {
        "\(kernel.h)x\(kernel.w), stride \(formatPair(stride))" + (padding == (0, 0) ? "" : ", pad \(formatPair(padding))")
    }
}
