/// Plain stochastic gradient descent:
///
///     p -= lr * g
///
/// Hyperparameters: `lr` (0.01), `weight_decay` (0, L2 added to g), `clip_norm` (0 = off).
public final class SGD: NativeOptimizer {
    static let descriptors = [
        NativeOptimizerDescriptor(name: "sgd", doc: "Stochastic gradient descent: p -= lr*g", equations: """
              p -= lr * g
            """ + "\n" + commonEquations) { try SGD(overrides: $0) },
    ]

    public init(name: String = "sgd", overrides: [(String, HyperValue)] = []) throws {
        try super.init(name: name, keys: [Self.lr.entry()], overrides: overrides)
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale gs: Float) {
        let lr = Float(hyper[Self.lr]), wd = Float(hyper[Self.weightDecay])
        let pp = p.data, gg = g.data
        Parallel.forRanges(p.count) { r in
            for i in r { pp[i] -= lr * (gg[i] * gs + wd * pp[i]) }
        }
    }
}
