/// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest
/// by `1/(1-p)`; identity in evaluation. The mask comes from the layer's own seeded generator.
public final class Dropout: Module {
    public let p: Float
    public var rng: RandomGenerator
    private var mask: Tensor?

    public init(p: Float = 0.5, rng: inout RandomGenerator) throws {
        guard p >= 0, p < 1 else { throw DescentError.argument("nn.Dropout", "p", "must be in [0, 1), got \(p)") }
        self.p = p
        self.rng = rng.split()
    }

    public override var description: String { "nn.Dropout(\(p))" }

    public override var generator: RandomGenerator? {
        get { rng }
        set { if let newValue { rng = newValue } }
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { mask = nil; return input.clone() }
        let m = Tensor(zeros: input.shape)
        let keep = 1 / (1 - p)
        for i in 0..<m.count { m.data[i] = rng.uniform() < Double(p) ? 0 : keep }
        mask = m
        return try input.multiplying(m)
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try checkGradOutput(gradOutput, input.shape, "nn.Dropout")
        guard let mask, mask.shape == input.shape else { return gradOutput.clone() }
        return try gradOutput.multiplying(mask)
    }
}
