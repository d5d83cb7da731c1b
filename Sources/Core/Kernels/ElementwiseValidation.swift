extension ElementwiseProgram {
    /// Checks the DAG (every reference in range, operands before their node, finite constants,
    /// no tensor written twice) and returns which nodes are uniform (scalars and constants only).
    static func validate(tensors: [String], scalars: [String], nodes: [Node], outputs: [(tensor: Int, node: Int)]) throws -> [Bool] {
        let op = "optim.kernel"
        guard !outputs.isEmpty else { throw DescentError(op, "a kernel must write at least one tensor") }
        var uniform: [Bool] = []
        for (i, n) in nodes.enumerated() {
            switch n {
            case .tensor(let k):
                guard tensors.indices.contains(k) else { throw DescentError(op, "node \(i + 1) reads unknown tensor \(k + 1)") }
                uniform.append(false)
            case .scalar(let k):
                guard scalars.indices.contains(k) else { throw DescentError(op, "node \(i + 1) reads unknown scalar \(k + 1)") }
                uniform.append(true)
            case .constant(let v):
                guard v.isFinite else { throw DescentError(op, "constant \(v) is not finite") }
                uniform.append(true)
            case .apply(let o, let args):
                guard args.count == o.arity, args.allSatisfy({ $0 >= 0 && $0 < i }) else {
                    throw DescentError(op, "node \(i + 1) (\(o.rawValue)) needs \(o.arity) earlier operands")
                }
                uniform.append(args.allSatisfy { uniform[$0] })
            }
        }
        var written = Set<Int>()
        for o in outputs {
            guard tensors.indices.contains(o.tensor), nodes.indices.contains(o.node) else {
                throw DescentError(op, "output refers to an unknown tensor or node")
            }
            guard written.insert(o.tensor).inserted else { throw DescentError(op, "tensor '\(tensors[o.tensor])' is written twice") }
        }
        return uniform
    }
}
