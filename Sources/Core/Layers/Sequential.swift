/// Runs modules in order; backward runs them in reverse with the inputs kept from forward.
public final class Sequential: Module {
    public private(set) var modules: [Module]
    /// The input each module saw in the last forward.
    private var inputs: [Tensor] = []
    /// The output shape of each module in the last forward (the REPL's layer table shows them).
    public private(set) var outputShapes: [[Int]] = []

    public init(_ modules: [Module]) {
        self.modules = modules
    }

    public func append(_ m: Module) { modules.append(m) }

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
        for m in modules {
            seen.append(x)
            x = try m.forward(x)
        }
        outputShapes = (seen.dropFirst() + [x]).map(\.shape)
        inputs = seen
        return x
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        guard inputs.count == modules.count, inputs.first === input || modules.isEmpty else {
            throw DescentError("nn.Sequential.backward", "forward must run on this input first")
        }
        var g = gradOutput
        for (m, x) in zip(modules, inputs).reversed() { g = try m.backward(x, g) }
        return g
    }
}
