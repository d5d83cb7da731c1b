/// The catalog of native optimizers and presets, by name. The plugin registry starts from it.
public enum NativeOptimizers {
    public struct Entry {
        public let name: String
        public let doc: String
        /// The update rule, for `descent plugins show` (`OptimizerEquations`).
        public var equations: String? = nil
        public let make: ([(String, HyperValue)]) throws -> Optimizer
    }

    public static let all: [Entry] = [
        Entry(name: "sgd", doc: "Stochastic gradient descent: p -= lr*g", equations: OptimizerEquations.sgd) { try SGD(overrides: $0) },
        Entry(name: "momentum", doc: "SGD with momentum: tf1/PyTorch form a = mu*a + g; p -= lr*a, or Keras form; optional Nesterov", equations: OptimizerEquations.momentum) {
            try Momentum(overrides: $0)
        },
        Entry(name: "rmsprop", doc: "RMSProp with PyTorch, Keras and TF1 conventions as switches (form, eps_inside_sqrt, initial_ms, lr_in_momentum)", equations: OptimizerEquations.rmsprop) {
            try RMSProp(overrides: $0)
        },
        Entry(name: "adam", doc: "Adam (Kingma & Ba 2015); form torch (Algorithm 1) or tf (epsilon hat)", equations: OptimizerEquations.adam) { try Adam(overrides: $0) },
        Entry(name: "adamw", doc: "AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay p -= lr*wd*p", equations: OptimizerEquations.adamw) {
            try Adam(name: "adamw", doc: "AdamW: Adam with decoupled weight decay", decoupled: true, overrides: $0)
        },
        Entry(name: "tfod_momentum", doc: tfodMomentumDoc, equations: OptimizerEquations.momentum) {
            try Momentum(name: "tfod_momentum", doc: tfodMomentumDoc, defaults: [("momentum", .number(0.9)), ("form", .string("tf1"))], overrides: $0)
        },
        Entry(name: "tfod_rmsprop", doc: tfodRMSPropDoc, equations: OptimizerEquations.rmsprop) {
            try RMSProp(name: "tfod_rmsprop", doc: tfodRMSPropDoc,
                        defaults: [("form", .string("tf1")), ("rho", .number(0.9)), ("momentum", .number(0.9)), ("epsilon", .number(1.0))], overrides: $0)
        },
        Entry(name: "tfod_adam", doc: tfodAdamDoc, equations: OptimizerEquations.adam) {
            try Adam(name: "tfod_adam", doc: tfodAdamDoc, defaults: [("form", .string("tf")), ("epsilon", .number(1e-8))], overrides: $0)
        },
        Entry(name: "tfod2_rmsprop", doc: tfod2RMSPropDoc, equations: OptimizerEquations.rmsprop) {
            try RMSProp(name: "tfod2_rmsprop", doc: tfod2RMSPropDoc,
                        defaults: [("form", .string("keras")), ("rho", .number(0.9)), ("momentum", .number(0.9)), ("epsilon", .number(1.0)), ("decay", .number(0.9))],
                        overrides: $0)
        },
    ]

    public static func make(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Optimizer {
        guard let e = all.first(where: { $0.name == name }) else {
            throw DescentError("optim.new", "unknown optimizer '\(name)' (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return try e.make(overrides)
    }

    static let tfodMomentumDoc = "TF Object Detection API momentum_optimizer in TF1: tf.train.MomentumOptimizer with momentum_optimizer_value 0.9 (form tf1)"
    static let tfodRMSPropDoc = "TF Object Detection API rms_prop_optimizer in TF1: tf.train.RMSPropOptimizer(decay 0.9, momentum 0.9, epsilon 1.0); mean square starts at 1 (form tf1)"
    static let tfodAdamDoc = "TF Object Detection API adam_optimizer in TF1: tf.train.AdamOptimizer, epsilon-hat form (form tf, epsilon 1e-8)"
    static let tfod2RMSPropDoc = "TF Object Detection API rms_prop_optimizer as the TF2 builder makes it: tf.keras RMSprop with rho left at 0.9, momentum 0.9, epsilon 1.0, and the proto's decay 0.9 passed as Keras inverse-time decay lr/(1 + 0.9*iterations)"
}
