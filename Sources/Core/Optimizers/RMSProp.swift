import CKernels
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
    public static let rho = HyperKey<Double>("rho", 0.9)
    public static let momentum = HyperKey<Double>("momentum", 0)
    public static let epsilon = HyperKey<Double>("epsilon", 1e-8)
    public static let centered = HyperKey<Bool>("centered", false)
    public static let form = HyperKey<String>("form", "torch")
    public static let epsInsideSqrt = HyperKey<Bool>("eps_inside_sqrt", false)
    public static let initialMS = HyperKey<Double>("initial_ms", 0)
    public static let lrInMomentum = HyperKey<Bool>("lr_in_momentum", false)
    public static let decay = HyperKey<Double>("decay", 0)

    static let equations = """
          s = rho*s + (1-rho)*g^2      (s starts at initial_ms; rho is Optax's `decay` and PyTorch's `alpha`)
          centered: m = rho*m + (1-rho)*g and s - m^2 replaces s below
          d = sqrt(s + epsilon) if eps_inside_sqrt else sqrt(s) + epsilon
          momentum = 0:                       p -= lr_t*g/d
          momentum > 0, lr_in_momentum false: b = momentum*b + g/d;  p -= lr_t*b      (PyTorch)
          momentum > 0, lr_in_momentum true:  b = momentum*b + lr_t*g/d;  p -= b      (TF)
          lr_t = lr / (1 + decay*(t-1))  -- `decay` here is legacy Keras inverse-time lr decay,
                                             NOT Optax's `decay` (that is rho)
          form sets rho, eps_inside_sqrt, initial_ms, lr_in_momentum at once (explicit values win):
            "torch" (0.99, false, 0, false)  "keras" (0.9, true, 0, true)  "tf1" (0.9, true, 1, true)
        """ + "\n" + commonEquations

    static let tfodDoc = "TF Object Detection API rms_prop_optimizer in TF1: tf.train.RMSPropOptimizer(decay 0.9, momentum 0.9, epsilon 1.0); mean square starts at 1 (form tf1)"
    static let tfod2Doc = "TF Object Detection API rms_prop_optimizer as the TF2 builder makes it: tf.keras RMSprop with rho left at 0.9, momentum 0.9, epsilon 1.0, and the proto's decay 0.9 passed as Keras inverse-time decay lr/(1 + 0.9*iterations)"

    static let tfod2Keras3Doc = "TF Object Detection API rms_prop_optimizer as the TF2 builder makes it with Keras 3 (TF >= 2.16): keras RMSprop with rho 0.9, momentum 0.9, epsilon 1.0; the proto's decay is ignored, as Keras 3 ignores it"

    static let descriptors = [
        NativeOptimizerDescriptor(name: "rmsprop", doc: "RMSProp with PyTorch, Keras and TF1 conventions as switches (form, eps_inside_sqrt, initial_ms, lr_in_momentum)",
                                  equations: equations) { try RMSProp(overrides: $0) },
        NativeOptimizerDescriptor(name: "tfod_rmsprop", doc: tfodDoc, equations: equations) {
            try RMSProp(name: "tfod_rmsprop", defaults: [form.entry(.string("tf1")), rho.entry(.number(0.9)), momentum.entry(.number(0.9)),
                                                         epsilon.entry(.number(1.0))], overrides: $0)
        },
        NativeOptimizerDescriptor(name: "tfod2_rmsprop", doc: tfod2Doc, equations: equations) {
            try RMSProp(name: "tfod2_rmsprop", defaults: [form.entry(.string("keras")), rho.entry(.number(0.9)), momentum.entry(.number(0.9)),
                                                          epsilon.entry(.number(1.0)), decay.entry(.number(0.9))], overrides: $0)
        },
        NativeOptimizerDescriptor(name: "tfod2_rmsprop_keras3", doc: tfod2Keras3Doc, equations: equations) {
            try RMSProp(name: "tfod2_rmsprop_keras3", defaults: [form.entry(.string("keras")), rho.entry(.number(0.9)), momentum.entry(.number(0.9)),
                                                                 epsilon.entry(.number(1.0))], overrides: $0)
        },
    ]

    /// The three switches a `form` sets, or nil for an unknown form (reported by `validate`).
    static func switches(_ form: String) -> [(String, HyperValue)]? {
        // rho too: PyTorch's default alpha is 0.99, Keras's and TF1's decay 0.9.
        let table: [String: (Double, Bool, Double, Bool)] = ["torch": (0.99, false, 0, false), "keras": (0.9, true, 0, true), "tf1": (0.9, true, 1, true)]
        guard let (rho, inside, initial, lrIn) = table[form] else { return nil }
        return [Self.rho.entry(.number(rho)), Self.epsInsideSqrt.entry(.bool(inside)), Self.initialMS.entry(.number(initial)), Self.lrInMomentum.entry(.bool(lrIn))]
    }

    public init(name: String = "rmsprop", defaults: [(String, HyperValue)] = [], overrides: [(String, HyperValue)] = []) throws {
        var table = Self.table([Self.lr.entry(), Self.rho.entry(), Self.momentum.entry(), Self.epsilon.entry(), Self.centered.entry(),
                                Self.form.entry(), Self.epsInsideSqrt.entry(), Self.initialMS.entry(), Self.lrInMomentum.entry(),
                                Self.decay.entry()], replacing: defaults)
        // The form's switches first, then whatever the caller set explicitly.
        let form = overrides.last(where: { $0.0 == Self.form.name })?.1 ?? table.first(where: { $0.0 == Self.form.name })!.1
        if case .string(let f) = form, let sw = Self.switches(f) {
            table = Self.table(table, replacing: sw.filter { k, _ in !defaults.contains { $0.0 == k } })
        }
        try super.init(name: name, keys: table, overrides: overrides)
    }

    public override func cascade(_ h: Hyperparameters, changed key: String) throws -> Hyperparameters {
        guard key == Self.form.name, let sw = Self.switches(h[Self.form]) else { return h }
        var out = h
        try out.merge(sw)
        return out
    }

    public override func validate(_ h: Hyperparameters) throws {
        try super.validate(h)
        try h.require(Self.rho.name, min: 0, max: 1)
        for key in [Self.momentum, Self.epsilon, Self.initialMS, Self.decay] { try h.require(key.name, min: 0) }
        try requireForm(h, ["torch", "keras", "tf1"])
    }

    public override func update(_ p: Tensor, _ g: Tensor, _ state: OptimizerState, step: Int, gradScale gs: Float) {
        let lr = Float(hyper[Self.lr] / (1 + hyper[Self.decay] * Double(step - 1)))
        let rho = Float(hyper[Self.rho]), oneMinusRho = Float(1 - hyper[Self.rho]), mu = Float(hyper[Self.momentum]), eps = Float(hyper[Self.epsilon])
        let wd = Float(hyper[Self.weightDecay])
        let centered = hyper[Self.centered], inside = hyper[Self.epsInsideSqrt], lrInMomentum = hyper[Self.lrInMomentum]
        let s = state.tensor("square_avg", like: p, initial: Float(hyper[Self.initialMS])).data
        let mg = centered ? state.tensor("grad_avg", like: p).data : nil
        let b = mu > 0 ? state.tensor("momentum_buffer", like: p).data : nil
        let pp = p.data, gg = g.data
        let k = descent_rmsprop_numbers(lr: lr, grad_scale: gs, weight_decay: wd, rho: rho, one_minus_rho: oneMinusRho, momentum: mu,
                                        epsilon: eps, eps_inside_sqrt: inside ? 1 : 0, lr_in_momentum: lrInMomentum ? 1 : 0)
        // Per element, in rmsprop.c:
        //   g' = g * gs + wd * p;  s = rho * s + (1 - rho) * g' * g'
        //   centered: mg = rho * mg + (1 - rho) * g';  ms = s - mg * mg  (else ms = s)
        //   d = sqrt(ms + eps) or sqrt(ms) + eps
        //   p -= lr * g' / d;  or b = mu * b + g' / d, p -= lr * b;  or b = mu * b + lr * g' / d, p -= b
        Parallel.forRanges(p.count) { r in
            let o = r.lowerBound
            descent_rmsprop(pp + o, gg + o, s + o, mg.map { $0 + o }, b.map { $0 + o }, r.count, k)
        }
    }
}
