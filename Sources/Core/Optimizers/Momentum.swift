/// SGD with momentum, in the two conventions the reference libraries use:
///
///     form "tf1" (TF1 MomentumOptimizer = PyTorch SGD without dampening; the default):
///         a = mu*a + g;         p -= lr*a            nesterov: p -= lr*(g + mu*a)
///     form "keras" (tf.keras SGD, what the TF2 Object Detection API builds):
///         v = mu*v - lr*g;      p += v               nesterov: p += mu*v - lr*g
///
/// The forms agree while lr is constant and differ as soon as it changes between steps: tf1
/// applies the new lr to the whole accumulated buffer, keras only to the new gradient.
/// Hyperparameters: `lr` (0.01), `momentum` (0.9), `nesterov` (false), `form` ("tf1"; "torch"
/// is the same as "tf1"), `weight_decay`, `clip_norm`. State: `momentum_buffer` (tf1) or
/// `velocity` (keras), `step`.
public final class Momentum: NativeOptimizer {
    public static let momentum = HyperKey<Double>("momentum", 0.9)
    public static let nesterov = HyperKey<Bool>("nesterov", false)
    public static let form = HyperKey<String>("form", "tf1")

    static let equations = """
          form "tf1" / "torch" (tf.train.MomentumOptimizer, torch.optim.SGD without dampening):
            a = momentum*a + g;  p -= lr*a           nesterov: p -= lr*(g + momentum*a)
          form "keras" (tf.keras SGD, what the TF2 Object Detection API builds):
            v = momentum*v - lr*g;  p += v           nesterov: p += momentum*v - lr*g
          The forms differ once lr changes between steps (tf1 rescales the whole buffer).
        """ + "\n" + commonEquations

    static let tfodDoc = "TF Object Detection API momentum_optimizer in TF1: tf.train.MomentumOptimizer with momentum_optimizer_value 0.9 (form tf1)"

    static let descriptors = [
        NativeOptimizerDescriptor(name: "momentum", doc: "SGD with momentum: tf1/PyTorch form a = mu*a + g; p -= lr*a, or Keras form; optional Nesterov",
                                  equations: equations) { try Momentum(overrides: $0) },
        NativeOptimizerDescriptor(name: "tfod_momentum", doc: tfodDoc, equations: equations) {
            try Momentum(name: "tfod_momentum", defaults: [momentum.entry(.number(0.9)), form.entry(.string("tf1"))], overrides: $0)
        },
    ]

    public init(name: String = "momentum", defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        let table = Self.table([Self.lr.entry(), Self.momentum.entry(), Self.nesterov.entry(), Self.form.entry()], replacing: defaults)
        try super.init(name: name, keys: table, overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require(Self.momentum.name, min: 0)
        try requireForm(h, ["tf1", "torch", "keras"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale gs: Float) {
        let lr = Float(hyper[Self.lr]), mu = Float(hyper[Self.momentum]), wd = Float(hyper[Self.weightDecay])
        let nesterov = hyper[Self.nesterov]
        let pp = p.data, gg = g.data
        if hyper[Self.form] == "keras" {
            let v = state.tensor("velocity", like: p).data
            Parallel.forRanges(p.count) { r in
                for i in r {
                    let gi = gg[i] * gs + wd * pp[i]
                    let vi = mu * v[i] - lr * gi
                    v[i] = vi
                    pp[i] += nesterov ? mu * vi - lr * gi : vi
                }
            }
        } else {
            let a = state.tensor("momentum_buffer", like: p).data
            Parallel.forRanges(p.count) { r in
                for i in r {
                    let gi = gg[i] * gs + wd * pp[i]
                    let ai = mu * a[i] + gi
                    a[i] = ai
                    pp[i] -= lr * (nesterov ? gi + mu * ai : ai)
                }
            }
        }
    }
}
