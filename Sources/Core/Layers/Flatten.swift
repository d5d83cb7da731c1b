/// `[N, d1, d2, ...] -> [N, d1*d2*...]`; the output shares the input's storage.
public final class Flatten: Module {
    public override func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank >= 1 else { throw DescentError.shape("nn.Flatten", expected: "input of rank >= 1", got: input.shape) }
        return try input.reshape([input.shape[0], input.count / max(input.shape[0], 1)])
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try checkGradOutput(gradOutput, [input.shape.first ?? 0, input.count / max(input.shape.first ?? 1, 1)], "nn.Flatten")
        return try gradOutput.reshape(input.shape)
    }
}
