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
    public init(name: String = "momentum", doc: String = "SGD with momentum (tf1/PyTorch or Keras form, optional Nesterov)",
                defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        var table: [(String, HyperValue)] = [("lr", .number(0.01)), ("momentum", .number(0.9)), ("nesterov", .bool(false)), ("form", .string("tf1"))]
        table = Self.table(table, replacing: defaults)
        try super.init(name: name, doc: doc, keys: table, overrides: overrides)
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require("momentum", min: 0)
        try requireForm(h, ["tf1", "torch", "keras"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale gs: Float) {
        let lr = Float(hyper.number("lr")), mu = Float(hyper.number("momentum")), wd = Float(hyper.number("weight_decay"))
        let nesterov = hyper.bool("nesterov")
        let pp = p.data, gg = g.data
        if hyper.string("form") == "keras" {
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
