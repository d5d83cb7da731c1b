/// RMSProp (Tieleman & Hinton 2012) with every convention difference as a switch:
///
///     s = rho*s + (1-rho)*g^2                  (s starts at initial_ms)
///     centered: mg = rho*mg + (1-rho)*g, and s - mg^2 replaces s below
///     d = sqrt(s + eps)  if eps_inside_sqrt  else  sqrt(s) + eps
///     no momentum:                         p -= lr*g/d
///     momentum, lr_in_momentum = false:    b = mu*b + g/d;     p -= lr*b      (PyTorch)
///     momentum, lr_in_momentum = true:     b = mu*b + lr*g/d;  p -= b         (TF)
///
/// `form` sets rho and the three switches (eps_inside_sqrt, initial_ms, lr_in_momentum) at
/// once: "torch" (0.99, false, 0, false; the default, as torch.optim.RMSprop), "keras" (0.9,
/// true, 0, true; Keras 3 and tf.keras OptimizerV2), "tf1" (0.9, true, 1, true;
/// tf.compat.v1.train.RMSPropOptimizer, whose mean square starts at one). Values given
/// explicitly (or by a preset) win over the form.
/// `decay` (0 = off) is legacy Keras inverse-time decay, `lr / (1 + decay*(t-1))`: the TF2
/// Object Detection API passes its proto's `decay` (0.9) here (see `tfod2_rmsprop`).
/// Hyperparameters: `lr` (0.01), `rho` (by form: 0.99 torch, 0.9 keras/tf1), `momentum` (0), `epsilon` (1e-8), `centered`
/// (false), `form`, the three switches, `decay`, `weight_decay`, `clip_norm`.
/// State: `square_avg`, `grad_avg` (centered), `momentum_buffer` (momentum > 0), `step`.
public final class RMSProp: NativeOptimizer {
    /// The three switches a `form` sets, or nil for an unknown form (reported by `validate`).
    static func switches(_ form: String) -> [(String, HyperValue)]? {
        // rho too: PyTorch's default alpha is 0.99, Keras's and TF1's decay 0.9.
        let table: [String: (Double, Bool, Double, Bool)] = ["torch": (0.99, false, 0, false), "keras": (0.9, true, 0, true), "tf1": (0.9, true, 1, true)]
        guard let (rho, inside, initial, lrIn) = table[form] else { return nil }
        return [("rho", .number(rho)), ("eps_inside_sqrt", .bool(inside)), ("initial_ms", .number(initial)), ("lr_in_momentum", .bool(lrIn))]
    }

    public init(name: String = "rmsprop", doc: String = "RMSProp (PyTorch, Keras or TF1 form; centered; momentum)",
                defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        var table: [(String, HyperValue)] = [
            ("lr", .number(0.01)), ("rho", .number(0.9)), ("momentum", .number(0)), ("epsilon", .number(1e-8)),
            ("centered", .bool(false)), ("form", .string("torch")), ("eps_inside_sqrt", .bool(false)),
            ("initial_ms", .number(0)), ("lr_in_momentum", .bool(false)), ("decay", .number(0)),
        ]
        table = Self.table(table, replacing: defaults)
        // The form's switches first, then whatever the caller set explicitly.
        let form = overrides.last(where: { $0.0 == "form" })?.1 ?? table.first(where: { $0.0 == "form" })!.1
        if case .string(let f) = form, let sw = Self.switches(f) {
            table = Self.table(table, replacing: sw.filter { k, _ in !defaults.contains { $0.0 == k } })
        }
        try super.init(name: name, doc: doc, keys: table, overrides: overrides)
    }

    public override func cascade(_ h: Hyperparameters, changed key: String) throws -> Hyperparameters {
        guard key == "form", let sw = Self.switches(h.string("form")) else { return h }
        var out = h
        try out.merge(sw)
        return out
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require("rho", min: 0, max: 1)
        try h.require("momentum", min: 0)
        try h.require("epsilon", min: 0)
        try h.require("initial_ms", min: 0)
        try h.require("decay", min: 0)
        try requireForm(h, ["torch", "keras", "tf1"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale gs: Float) {
        let lr = Float(hyper.number("lr") / (1 + hyper.number("decay") * Double(step - 1)))
        let rho = Float(hyper.number("rho")), oneMinusRho = Float(1 - hyper.number("rho")), mu = Float(hyper.number("momentum")), eps = Float(hyper.number("epsilon"))
        let wd = Float(hyper.number("weight_decay"))
        let centered = hyper.bool("centered"), inside = hyper.bool("eps_inside_sqrt"), lrInMomentum = hyper.bool("lr_in_momentum")
        let s = state.tensor("square_avg", like: p, initial: Float(hyper.number("initial_ms"))).data
        let mg = centered ? state.tensor("grad_avg", like: p).data : nil
        let b = mu > 0 ? state.tensor("momentum_buffer", like: p).data : nil
        let pp = p.data, gg = g.data
        Parallel.forRanges(p.count) { r in
            forEachVector(r) { i in
                let pi = pp.vector(i)
                let gi = gg.vector(i) * gs + wd * pi
                let si = rho * s.vector(i) + oneMinusRho * gi * gi
                s.setVector(i, si)
                var ms = si
                if let mg {
                    let m = rho * mg.vector(i) + oneMinusRho * gi
                    mg.setVector(i, m)
                    ms -= m * m
                }
                let d = inside ? (ms + eps).packedSquareRoot : ms.packedSquareRoot + eps
                if let b {
                    if lrInMomentum {
                        let bi = mu * b.vector(i) + lr * gi / d
                        b.setVector(i, bi)
                        pp.setVector(i, pi - bi)
                    } else {
                        let bi = mu * b.vector(i) + gi / d
                        b.setVector(i, bi)
                        pp.setVector(i, pi - lr * bi)
                    }
                } else {
                    pp.setVector(i, pi - lr * gi / d)
                }
            }
        }
    }
}
