/// `y = inner(x) + shortcut(x)`, with the identity as the default shortcut (ResNet block).
public final class Residual: Module {
    public let inner: Module
    public let shortcut: Module?

    public init(_ inner: Module, shortcut: Module? = nil) {
        self.inner = inner
        self.shortcut = shortcut
        super.init()
        adopt([inner] + (shortcut.map { [$0] } ?? []))
    }

    public override var children: [Module] { [inner] + (shortcut.map { [$0] } ?? []) }
    public override var parameters: [Tensor] { children.flatMap(\.parameters) }
    public override var gradients: [Tensor] { children.flatMap(\.gradients) }
    public override var description: String {
        "nn.Residual {\n  " + inner.description.replacingOccurrences(of: "\n", with: "\n  ") + "\n  + " + (shortcut?.description ?? "identity") + "\n}"
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let y = try inner.forward(input)
        let s = try shortcut?.forward(input) ?? input
        guard y.shape == s.shape else {
            throw DescentError("nn.Residual", "branch outputs must have one shape: inner gives \(formatShape(y.shape)), shortcut \(formatShape(s.shape))")
        }
        // A new tensor: the inner output may be kept by its last layer (Sigmoid, Tanh).
        return try y.adding(s)
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        let g = try inner.backward(input, gradOutput)
        // New tensors: a branch's gradInput may be a view of gradOutput (Flatten).
        return try g.adding(shortcut?.backward(input, gradOutput) ?? gradOutput)
    }
}
