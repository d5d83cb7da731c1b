/// Adagrad (Duchi et al. 2011), as PyTorch's `torch.optim.Adagrad`:
///
///     lr_t = lr / (1 + (t-1)*lr_decay);   s += g^2;   p -= lr_t * g / (sqrt(s) + eps)
///
/// `initial_accumulator_value` starts s (0 in PyTorch; Keras and Optax start at 0.1 and put
/// eps 1e-7 inside the root, which `eps` here does not model).
/// Hyperparameters: `lr` (0.01), `lr_decay` (0), `initial_accumulator_value` (0), `epsilon`
/// (1e-10), `weight_decay`, `clip_norm`. State: `sum`.
public final class Adagrad: NativeOptimizer {
    public static let lrDecay = HyperKey<Double>("lr_decay", 0)
    public static let initialAccumulator = HyperKey<Double>("initial_accumulator_value", 0)
    public static let epsilon = HyperKey<Double>("epsilon", 1e-10)

    static let descriptors = [
        NativeOptimizerDescriptor(name: "adagrad", doc: "Adagrad (Duchi et al. 2011) as PyTorch's: p -= lr*g/(sqrt(sum of g^2) + eps)", equations: """
              lr_t = lr / (1 + (t-1)*lr_decay)
              s += g^2      (s starts at initial_accumulator_value)
              p -= lr_t * g / (sqrt(s) + epsilon)
            """ + "\n" + commonEquations) { try Adagrad(overrides: $0) },
    ]

    public init(overrides: [(String, HyperValue)] = []) throws {
        try super.init(name: "adagrad", keys: [Self.lr.entry(), Self.lrDecay.entry(), Self.initialAccumulator.entry(), Self.epsilon.entry()],
                       overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require(Self.lrDecay.name, min: 0)
        try h.require(Self.initialAccumulator.name, min: 0)
        try h.require(Self.epsilon.name, min: 0)
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step t: Int, gradScale gs: Float) {
        let lr = Float(hyper[Self.lr] / (1 + Double(t - 1) * hyper[Self.lrDecay])), eps = Float(hyper[Self.epsilon])
        let wd = Float(hyper[Self.weightDecay]), initial = Float(hyper[Self.initialAccumulator])
        let s = state.tensor("sum", like: p, initial: initial).data, pp = p.data, gg = g.data
        Parallel.forRanges(p.count) { r in
            forEachVector(r) { i in
                let gi = gg.vector(i) * gs + wd * pp.vector(i)
                let si = s.vector(i) + gi * gi
                s.setVector(i, si)
                pp.setVector(i, pp.vector(i) - lr * gi / (si.packedSquareRoot + eps))
            }
        }
    }
}
