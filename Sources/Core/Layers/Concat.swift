/// Runs each branch on the same input and concatenates their outputs along dimension 1
/// (channels for images, features for vectors).
public final class Concat: Module {
    public let branches: [Module]
    private var widths: [Int] = []

    public init(_ branches: [Module]) throws {
        guard !branches.isEmpty else { throw DescentError.argument("nn.Concat", "branches", "must not be empty") }
        self.branches = branches
        super.init()
        adopt(branches)
    }

    public override var children: [Module] { branches }
    public override var parameters: [Tensor] { branches.flatMap(\.parameters) }
    public override var gradients: [Tensor] { branches.flatMap(\.gradients) }
    public override var description: String {
        "nn.Concat {\n" + branches.map { "  | " + $0.description.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n") + "\n}"
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let outs = try branches.map { try $0.forward(input) }
        let first = outs[0].shape
        guard first.count >= 2 else { throw DescentError.shape("nn.Concat", expected: "branch outputs of rank >= 2", got: first) }
        for o in outs where o.shape.count != first.count || o.shape[0] != first[0] || Array(o.shape.dropFirst(2)) != Array(first.dropFirst(2)) {
            throw DescentError("nn.Concat", "branch outputs must agree except in dimension 2: \(formatShape(first)) vs \(formatShape(o.shape))")
        }
        widths = outs.map { $0.shape[1] }
        var shape = first
        shape[1] = widths.reduce(0, +)
        let out = Tensor(zeros: shape)
        let inner = first.dropFirst(2).reduce(1, *), n = first[0], total = shape[1] * inner
        var offset = 0
        for o in outs {
            let block = o.shape[1] * inner
            for i in 0..<n { (out.data + i * total + offset).update(from: o.data + i * block, count: block) }
            offset += block
        }
        return out
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        guard gradOutput.rank >= 2, gradOutput.shape[1] == widths.reduce(0, +) else {
            throw DescentError("nn.Concat.backward", "gradOutput with \(widths.reduce(0, +)) channels expected, got \(formatShape(gradOutput.shape))")
        }
        let n = gradOutput.shape[0], inner = gradOutput.shape.dropFirst(2).reduce(1, *), total = gradOutput.shape[1] * inner
        var gradInput: Tensor?
        var offset = 0
        for (b, width) in zip(branches, widths) {
            var shape = gradOutput.shape
            shape[1] = width
            let part = Tensor(zeros: shape), block = width * inner
            for i in 0..<n { (part.data + i * block).update(from: gradOutput.data + i * total + offset, count: block) }
            offset += block
            let g = try b.backward(input, part)
            gradInput = try gradInput?.adding(g) ?? g
        }
        return gradInput!
    }
}
