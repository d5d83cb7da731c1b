/// Average pooling; with padding, padded zeros count in the average (PyTorch's default
/// `count_include_pad=True`).
public final class AvgPool2d: Module {
    public let window: PoolWindow

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) throws {
        window = try PoolWindow("nn.AvgPool2d", kernel: kernel, stride: stride, padding: padding)
    }

    public override var description: String { "nn.AvgPool2d(\(window.text))" }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let (n, g) = try window.geometry(input, "nn.AvgPool2d")
        let out = Tensor(zeros: [n, g.channels, g.outHeight, g.outWidth])
        visit(g, n) { o, i, scale in out.data[o] += input.data[i] * scale }
        return out
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        let (n, g) = try window.geometry(input, "nn.AvgPool2d")
        try checkGradOutput(gradOutput, [n, g.channels, g.outHeight, g.outWidth], "nn.AvgPool2d")
        let gradInput = Tensor(zeros: input.shape)
        visit(g, n) { o, i, scale in gradInput.data[i] += gradOutput.data[o] * scale }
        return gradInput
    }

    /// Calls `body(outputIndex, inputIndex, 1/windowArea)` for every in-image window element.
    private func visit(_ g: ConvGeometry, _ n: Int, _ body: (Int, Int, Float) -> Void) {
        let scale = 1 / Float(g.kernelH * g.kernelW)
        let (oh, ow) = (g.outHeight, g.outWidth)
        for pl in 0..<n * g.channels {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let o = (pl * oh + oy) * ow + ox
                    for ky in 0..<g.kernelH {
                        let iy = oy * g.strideH - g.padH + ky
                        guard iy >= 0, iy < g.height else { continue }
                        for kx in 0..<g.kernelW {
                            let ix = ox * g.strideW - g.padW + kx
                            guard ix >= 0, ix < g.width else { continue }
                            body(o, (pl * g.height + iy) * g.width + ix, scale)
                        }
                    }
                }
            }
        }
    }
}
