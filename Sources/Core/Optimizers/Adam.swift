import Foundation

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019):
///
///     m = b1*m + (1-b1)*g;   v = b2*v + (1-b2)*g^2
///     form "torch" (Algorithm 1; the default):
///         p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
///     form "tf" (the paper's "epsilon hat", tf.compat.v1.train.AdamOptimizer):
///         lr_t = lr*sqrt(1-b2^t)/(1-b1^t);   p -= lr_t * m/(sqrt(v) + eps)
///     adamw: p -= lr*wd*p before the step (decoupled decay; `weight_decay` defaults to 0.01)
///
/// The forms differ in where eps enters: with eps near the gradient scale (TF's documented
/// eps of 1.0 or 0.1 for some models) they train differently.
/// Both forms are one kernel `p -= a*m/(sqrt(v)*c + eps)` with (a, c) per form.
/// Hyperparameters: `lr` (1e-3), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-8), `form`,
/// `weight_decay`, `clip_norm`. State: `exp_avg` (m), `exp_avg_sq` (v), `step`.
public final class Adam: NativeOptimizer {
    public let decoupled: Bool

    public init(name: String = "adam", doc: String = "Adam (PyTorch or TF epsilon-hat form)", decoupled: Bool = false,
                defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        self.decoupled = decoupled
        var table: [(String, HyperValue)] = [
            ("lr", .number(1e-3)), ("beta1", .number(0.9)), ("beta2", .number(0.999)), ("epsilon", .number(1e-8)),
            ("form", .string("torch")), ("weight_decay", .number(decoupled ? 0.01 : 0)),
        ]
        table = Self.table(table, replacing: defaults)
        try super.init(name: name, doc: doc, keys: table, overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require("beta1", min: 0, below: 1)
        try h.require("beta2", min: 0, below: 1)
        try h.require("epsilon", min: 0)
        try requireForm(h, ["torch", "tf"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step t: Int, gradScale gs: Float) {
        let lr = hyper.number("lr"), b1 = hyper.number("beta1"), b2 = hyper.number("beta2")
        let bc1 = 1 - Foundation.pow(b1, Double(t)), bc2 = 1 - Foundation.pow(b2, Double(t))
        let (a, c): (Double, Double) = hyper.string("form") == "tf" ? (lr * bc2.squareRoot() / bc1, 1) : (lr / bc1, 1 / bc2.squareRoot())
        let stepSize = Float(a), vScale = Float(c), eps = Float(hyper.number("epsilon"))
        // 1-beta in Double, then Float (as PyTorch): 1 - Float(0.999) is off by 5e-5 relative.
        let beta1 = Float(b1), beta2 = Float(b2), oneMinusB1 = Float(1 - b1), oneMinusB2 = Float(1 - b2)
        let weightDecay = hyper.number("weight_decay")
        let coupled = decoupled ? 0 : Float(weightDecay), shrink = decoupled ? Float(1 - lr * weightDecay) : 1
        let m = state.tensor("exp_avg", like: p).data, v = state.tensor("exp_avg_sq", like: p).data
        let pp = p.data, gg = g.data
        Parallel.forRanges(p.count) { r in
            forEachVector(r) { i in
                let pi = pp.vector(i) * shrink
                let gi = gg.vector(i) * gs + coupled * pi
                let mi = beta1 * m.vector(i) + oneMinusB1 * gi
                let vi = beta2 * v.vector(i) + oneMinusB2 * gi * gi
                m.setVector(i, mi)
                v.setVector(i, vi)
                pp.setVector(i, pi - stepSize * mi / (vi.packedSquareRoot * vScale + eps))
            }
        }
    }
}
