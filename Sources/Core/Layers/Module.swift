/// The base of every layer and container, in the Torch7 `nn` shape.
///
/// `forward(input)` computes the output and keeps what backward needs; `backward(input,
/// gradOutput)` returns the gradient with respect to the input and *accumulates* parameter
/// gradients into `gradients` (call `zeroGrad()` between steps). `parameters` and `gradients`
/// list tensors in module order, weight before bias; they are the layer's own tensors, so
/// writing into them changes the layer.
open class Module: CustomStringConvertible {
    /// Training mode (batch statistics, dropout active) or evaluation mode.
    public private(set) var isTraining = true
    /// When false, `backward` returns zeros for the input gradient without computing it (what
    /// `requires_grad = False` on the input says in PyTorch). Training loops need not set it:
    /// they drop the gradient `backwardDeferringInputGradient` returns, which is then never computed.
    open var needsInputGradient = true

    /// Levels of modules from this one down to its deepest leaf (1 for a layer).
    public private(set) var height = 1
    /// How many containers hold this module.
    public private(set) var containerCount = 0
    /// The deepest nesting scripts may build: walks of a module tree (forward, printing,
    /// `parameters`) recurse once per level.
    public static let maximumNesting = 100

    public init() {}

    /// Records `children` as held by this container (containers call it from their initialiser).
    func adopt(_ children: [Module]) {
        height = 1 + (children.map(\.height).max() ?? 0)
        for c in children { c.containerCount += 1 }
    }

    /// Throws unless a container of `children` stays within `maximumNesting` levels.
    public static func checkNesting(_ children: [Module], _ op: String) throws {
        let depth = 1 + (children.map(\.height).max() ?? 0)
        guard depth <= maximumNesting else {
            throw DescentError(op, "containers may nest at most \(maximumNesting) levels deep, this one would be \(depth)")
        }
    }

    open func forward(_ input: Tensor) throws -> Tensor { fatalError("\(type(of: self)) must override forward") }
    open func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor { fatalError("\(type(of: self)) must override backward") }
    /// `backward`, with the input gradient computed only when read (`DeferredGradient`): what a
    /// script's `model:backward` calls. Layers whose input gradient is costly and depends only on
    /// the output gradient and their weights (Conv2d, Linear) and containers that start with one
    /// override it; the rest compute it at once.
    open func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor) throws -> DeferredGradient {
        DeferredGradient(try backward(input, gradOutput))
    }

    /// Trainable tensors, module order, weight before bias.
    open var parameters: [Tensor] { [] }
    /// Gradients of `parameters`, same order.
    open var gradients: [Tensor] { [] }
    /// Non-trainable state saved with the model (BatchNorm running statistics).
    open var buffers: [(name: String, tensor: Tensor)] { [] }
    /// Names of `parameters`, same order (`weight`, `bias`).
    open var parameterNames: [String] { [] }
    /// Sub-modules of containers.
    open var children: [Module] { [] }

    open var description: String { "nn.\(type(of: self))" }

    public func train() { setTraining(true) }
    public func evaluate() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        isTraining = on
        for c in children { c.setTraining(on) }
    }

    public func zeroGrad() {
        for g in gradients { g.zero_() }
    }

    /// Every parameter and buffer with a dotted path name (`0.weight`, `2.running_mean`), the
    /// order a checkpoint stores them in.
    public func namedTensors(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        if children.isEmpty {
            return zip(parameterNames, parameters).map { (prefix + $0, $1) } + buffers.map { (prefix + $0.name, $0.tensor) }
        }
        return children.enumerated().flatMap { $1.namedTensors(prefix: "\(prefix)\($0).") }
    }

    /// The parameters with their dotted path names (`0.weight`), module order; also labels each
    /// parameter's storage with its name, so parameter groups can match it by name later.
    @discardableResult
    public func labelParameters() -> [(name: String, tensor: Tensor)] {
        let named = namedParameters()
        for (n, t) in named { t.storage.parameterName = n }
        return named
    }

    /// The parameters with their dotted path names, module order, weight before bias.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        if children.isEmpty { return zip(parameterNames, parameters).map { (prefix + $0, $1) } }
        return children.enumerated().flatMap { $1.namedParameters(prefix: "\(prefix)\($0).") }
    }

    /// Every module of the tree with its path (`""` for this one, `3`, `3.0`), parents first.
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        [(prefix, self)] + children.enumerated().flatMap { $1.namedModules(prefix: prefix.isEmpty ? "\($0)" : "\(prefix).\($0)") }
    }

    /// The generator the layer draws from while training (Dropout's masks), saved in
    /// checkpoints so a resumed run draws what an uninterrupted one would; nil for most layers.
    open var generator: RandomGenerator? {
        get { nil }
        set {}
    }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Throws unless `gradOutput` has the shape the last forward produced.
    public func checkGradOutput(_ gradOutput: Tensor, _ expected: [Int], _ op: String) throws {
        guard gradOutput.shape == expected else {
            throw DescentError("\(op).backward", "gradOutput of shape \(formatShape(expected)) expected, got \(formatShape(gradOutput.shape))")
        }
    }
}
