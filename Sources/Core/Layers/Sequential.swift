/// Runs modules in order; backward runs them in reverse with the inputs kept from forward.
public final class Sequential: Module {
    public private(set) var modules: [Module]
    /// The input each module saw in the last forward.
    private var inputs: [Tensor] = []
    /// The output shape of each module in the last forward (the REPL's layer table shows them).
    public private(set) var outputShapes: [[Int]] = []

    public init(_ modules: [Module]) {
        self.modules = modules
        super.init()
        adopt(modules)
    }

    /// Adds `m` at the end. Only a container no other container holds grows (build inner
    /// containers first): so a module never contains itself, and the nesting stays within
    /// `maximumNesting` — walks of the tree recurse once per level.
    public func append(_ m: Module) throws {
        guard m !== self else { throw DescentError("nn.Sequential.add", "cannot add a container to itself") }
        guard containerCount == 0 else {
            throw DescentError("nn.Sequential.add", "cannot add to a container that is inside another (add to the outer one, or fill the inner one first)")
        }
        try Module.checkNesting(modules + [m], "nn.Sequential.add")
        modules.append(m)
        adopt(modules)
    }

    public override var children: [Module] { modules }
    public override var parameters: [Tensor] { modules.flatMap(\.parameters) }
    public override var gradients: [Tensor] { modules.flatMap(\.gradients) }

    public override var needsInputGradient: Bool {
        didSet { modules.first?.needsInputGradient = needsInputGradient }
    }

    public override var description: String {
        "nn.Sequential {\n" + modules.enumerated().map { "  (\($0)): " + $1.description.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n") + "\n}"
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        var seen: [Tensor] = []
        seen.reserveCapacity(modules.count)
        var i = 0
        while i < modules.count {
            seen.append(x)
            if let conv = modules[i] as? Conv2d, fusesReLU(after: i) {
                // Conv2d + ReLU in one pass; the ReLU "saw" the output (same signs as its input).
                x = try conv.forward(x, fusedReLU: true)
                seen.append(x)
                i += 2
            } else {
                x = try modules[i].forward(x)
                i += 1
            }
        }
        outputShapes = (seen.dropFirst() + [x]).map(\.shape)
        inputs = seen
        return x
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try backward(input, gradOutput, deferring: false).tensor()
    }

    public override func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor) throws -> DeferredGradient {
        try backward(input, gradOutput, deferring: true)
    }

    /// Runs the modules backward; with `deferring`, the first module's input gradient is deferred
    /// when that module can defer it.
    private func backward(_ input: Tensor, _ gradOutput: Tensor, deferring: Bool) throws -> DeferredGradient {
        guard inputs.count == modules.count, inputs.first === input || modules.isEmpty else {
            throw DescentError("nn.Sequential.backward", "forward must run on this input first")
        }
        var g = gradOutput
        var i = modules.count - 1
        while i >= 0 {
            if let pool = modules[i] as? MaxPool2d, i >= 1, type(of: modules[i - 1]) == ReLU.self {
                // ReLU then MaxPool2d: one pass (the pool's input is the ReLU's output).
                g = try pool.backward(inputs[i], g, throughReLU: true)
                i -= 2
            } else if i == 0 && deferring {
                return try modules[0].backwardDeferringInputGradient(inputs[0], g)
            } else {
                g = try modules[i].backward(inputs[i], g)
                i -= 1
            }
        }
        return DeferredGradient(g)
    }

    /// Whether module `i + 1` is a plain ReLU that module `i`'s forward can apply itself.
    private func fusesReLU(after i: Int) -> Bool {
        i + 1 < modules.count && type(of: modules[i + 1]) == ReLU.self
    }
}
