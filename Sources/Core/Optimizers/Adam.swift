import CKernels
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
    public static let beta1 = HyperKey<Double>("beta1", 0.9)
    public static let beta2 = HyperKey<Double>("beta2", 0.999)
    public static let epsilon = HyperKey<Double>("epsilon", 1e-8)
    public static let form = HyperKey<String>("form", "torch")

    static let equations = """
          m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
          form "torch" (Algorithm 1 of the paper; PyTorch, Optax, Keras):
            p -= lr * (m/(1-beta1^t)) / (sqrt(v/(1-beta2^t)) + epsilon)
          form "tf" (epsilon hat, tf.compat.v1.train.AdamOptimizer):
            p -= lr*sqrt(1-beta2^t)/(1-beta1^t) * m/(sqrt(v) + epsilon)
        """

    static let tfodDoc = "TF Object Detection API adam_optimizer in TF1: tf.train.AdamOptimizer, epsilon-hat form (form tf, epsilon 1e-8)"

    static let descriptors = [
        NativeOptimizerDescriptor(name: "adam", doc: "Adam (Kingma & Ba 2015); form torch (Algorithm 1) or tf (epsilon hat)",
                                  equations: equations + "\n" + commonEquations) { try Adam(overrides: $0) },
        NativeOptimizerDescriptor(name: "adamw", doc: "AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay p -= lr*wd*p", equations: """
              p -= lr*weight_decay*p   (decoupled, before the Adam step; PyTorch AdamW, Optax adamw)
            """ + "\n" + equations + "\n" + commonEquations.split(separator: "\n").filter { !$0.contains("weight_decay:") }.joined(separator: "\n")) {
            try Adam(name: "adamw", decoupled: true, overrides: $0)
        },
        NativeOptimizerDescriptor(name: "tfod_adam", doc: tfodDoc, equations: equations + "\n" + commonEquations) {
            try Adam(name: "tfod_adam", defaults: [form.entry(.string("tf")), epsilon.entry(.number(1e-8))], overrides: $0)
        },
    ]

    public let decoupled: Bool

    public init(name: String = "adam", decoupled: Bool = false, defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        self.decoupled = decoupled
        let table = Self.table([Self.lr.entry(.number(1e-3)), Self.beta1.entry(), Self.beta2.entry(), Self.epsilon.entry(), Self.form.entry(),
                                Self.weightDecay.entry(.number(decoupled ? 0.01 : 0))], replacing: defaults)
        try super.init(name: name, keys: table, overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require(Self.beta1.name, min: 0, below: 1)
        try h.require(Self.beta2.name, min: 0, below: 1)
        try h.require(Self.epsilon.name, min: 0)
        try requireForm(h, ["torch", "tf"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step t: Int, gradScale gs: Float) {
        let lr = hyper[Self.lr], b1 = hyper[Self.beta1], b2 = hyper[Self.beta2]
        let bc1 = 1 - Foundation.pow(b1, Double(t)), bc2 = 1 - Foundation.pow(b2, Double(t))
        let (a, c): (Double, Double) = hyper[Self.form] == "tf" ? (lr * bc2.squareRoot() / bc1, 1) : (lr / bc1, 1 / bc2.squareRoot())
        let stepSize = Float(a), vScale = Float(c), eps = Float(hyper[Self.epsilon])
        // 1-beta in Double, then Float (as PyTorch): 1 - Float(0.999) is off by 5e-5 relative.
        let beta1 = Float(b1), beta2 = Float(b2), oneMinusB1 = Float(1 - b1), oneMinusB2 = Float(1 - b2)
        let weightDecay = hyper[Self.weightDecay]
        let coupled = decoupled ? 0 : Float(weightDecay), shrink = decoupled ? Float(1 - lr * weightDecay) : 1
        let m = state.tensor("exp_avg", like: p).data, v = state.tensor("exp_avg_sq", like: p).data
        let pp = p.data, gg = g.data
        let k = descent_adam_numbers(shrink: shrink, grad_scale: gs, coupled: coupled, beta1: beta1, one_minus_beta1: oneMinusB1,
                                     beta2: beta2, one_minus_beta2: oneMinusB2, step_size: stepSize, v_scale: vScale, epsilon: eps)
        // Per element, in adam.c:
        //   p' = p * shrink;  g' = g * gs + coupled * p'
        //   m = beta1 * m + (1 - beta1) * g';  v = beta2 * v + (1 - beta2) * g' * g'
        //   p = p' - stepSize * m / (sqrt(v) * vScale + eps)
        Parallel.forRanges(p.count) { r in
            descent_adam(pp + r.lowerBound, gg + r.lowerBound, m + r.lowerBound, v + r.lowerBound, r.count, k)
        }
    }
}
