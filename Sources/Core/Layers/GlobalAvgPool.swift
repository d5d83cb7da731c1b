/// Mean over each channel's H x W: `[N,C,H,W] -> [N,C]`.
public final class GlobalAvgPool: Module {
    public override func forward(_ input: Tensor) throws -> Tensor {
        let (n, c, h, w) = try imageDims(input, "nn.GlobalAvgPool")
        let out = Tensor(zeros: [n, c])
        let plane = h * w
        for pl in 0..<n * c {
            var s: Float = 0
            let src = input.data + pl * plane
            for i in 0..<plane { s += src[i] }
            out.data[pl] = plane > 0 ? s / Float(plane) : 0
        }
        return out
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        let (n, c, h, w) = try imageDims(input, "nn.GlobalAvgPool")
        try checkGradOutput(gradOutput, [n, c], "nn.GlobalAvgPool")
        let gradInput = Tensor(zeros: input.shape)
        let plane = h * w
        for pl in 0..<n * c {
            let g = gradOutput.data[pl] / Float(plane)
            (gradInput.data + pl * plane).update(repeating: g, count: plane)
        }
        return gradInput
    }
}
