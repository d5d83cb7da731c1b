import Foundation

/// Adamax (Kingma & Ba 2015, section 7.1), as PyTorch's `torch.optim.Adamax`: Adam with the
/// second moment replaced by an exponentially weighted infinity norm.
///
///     m = b1*m + (1-b1)*g;   u = max(b2*u, |g| + eps);   p -= lr/(1-b1^t) * m/u
///
/// Hyperparameters: `lr` (2e-3), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-8),
/// `weight_decay`, `clip_norm`. State: `exp_avg` (m), `exp_inf` (u).
public final class Adamax: NativeOptimizer {
    static let descriptors = [
        NativeOptimizerDescriptor(name: "adamax", doc: "Adamax (Kingma & Ba 2015): Adam with an infinity-norm second moment, as PyTorch's", equations: """
              m = beta1*m + (1-beta1)*g;   u = max(beta2*u, |g| + epsilon)
              p -= lr/(1-beta1^t) * m/u
            """ + "\n" + commonEquations) { try Adamax(overrides: $0) },
    ]

    public init(overrides: [(String, HyperValue)] = []) throws {
        try super.init(name: "adamax", keys: [Self.lr.entry(.number(2e-3)), Adam.beta1.entry(), Adam.beta2.entry(), Adam.epsilon.entry()],
                       overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require(Adam.beta1.name, min: 0, below: 1)
        try h.require(Adam.beta2.name, min: 0, below: 1)
        try h.require(Adam.epsilon.name, min: 0)
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step t: Int, gradScale gs: Float) {
        let b1 = hyper[Adam.beta1]
        let stepSize = Float(hyper[Self.lr] / (1 - Foundation.pow(b1, Double(t))))
        let beta1 = Float(b1), oneMinusB1 = Float(1 - b1), beta2 = Float(hyper[Adam.beta2]), eps = Float(hyper[Adam.epsilon])
        let wd = Float(hyper[Self.weightDecay])
        let m = state.tensor("exp_avg", like: p).data, u = state.tensor("exp_inf", like: p).data, pp = p.data, gg = g.data
        Parallel.forRanges(p.count) { r in
            for i in r {
                let gi = gg[i] * gs + wd * pp[i]
                let mi = beta1 * m[i] + oneMinusB1 * gi
                let ui = Swift.max(beta2 * u[i], abs(gi) + eps)
                m[i] = mi
                u[i] = ui
                pp[i] -= stepSize * mi / ui
            }
        }
    }
}
