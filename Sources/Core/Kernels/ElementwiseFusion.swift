extension ElementwiseProgram {
    /// Each varying node's instruction: its code and operands (the scalar forms list their
    /// varying operands, then their numbers). Nodes fused into another's instruction have none.
    static func fuse(_ nodes: [Node], uniform: [Bool], outputs: [(tensor: Int, node: Int)]) -> [Int: (code: Code, args: [Int])] {
        // Fusion: a varying product read once, by a varying sum, becomes part of that sum; so does
        // a quotient read once by a difference (`p - u/d`), and a square root read once by an
        // affine map (`sqrt(v)*s + eps`): the shapes of every adaptive optimizer's update.
        var uses = [Int](repeating: 0, count: nodes.count)
        for n in nodes { if case .apply(_, let args) = n { for x in Set(args) { uses[x] += 1 } } }
        for o in outputs { uses[o.node] += 1 }
        func isFusable(_ x: Int, _ op: Op = .mul) -> Bool {
            if case .apply(op, _) = nodes[x], !uniform[x], uses[x] == 1 { return true }
            return false
        }
        /// `x` as (uniform factor, varying node) when it is a fusable `s * v` or `v * s`.
        func scaled(_ x: Int) -> (s: Int, v: Int)? {
            guard case .apply(.mul, let m) = nodes[x], isFusable(x), uniform[m[0]] != uniform[m[1]] else { return nil }
            return uniform[m[0]] ? (m[0], m[1]) : (m[1], m[0])
        }
        var fused = Set<Int>()
        // Plans of the scalar forms list their varying operands, then their numbers (uniform nodes).
        var plan: [Int: (code: Code, args: [Int])] = [:]
        for (i, n) in nodes.enumerated() where !uniform[i] {
            guard case .apply(let o, let args) = n else { continue }
            var code = Code.op(o), operands = args
            if o == .add, let l = scaled(args[0]), let r = scaled(args[1]) {
                // beta*m + (1-beta)*g
                (code, operands) = (.axpby, [l.v, r.v, l.s, r.s])
                fused.formUnion([args[0], args[1]])
            } else if o == .add, let l = scaled(args[0]), case .apply(.mul, let m) = nodes[args[1]], isFusable(args[1]),
                      let r = scaled(m[0]), !uniform[m[1]] {
                // beta*v + ((1-beta)*g)*g
                (code, operands) = (.axpbyz, [l.v, r.v, m[1], l.s, r.s])
                fused.formUnion([args[0], args[1], m[0]])
            } else if o == .sub, case .apply(.div, let q) = nodes[args[1]], isFusable(args[1], .div),
                      let num = scaled(q[0]), !uniform[q[1]], !uniform[args[0]] {
                // p - (lr*m)/d
                (code, operands) = (.scaleDivSub, [num.v, q[1], args[0], num.s])
                fused.formUnion([args[1], q[0]])
            } else if o == .add || o == .sub, case .apply(.mul, let m) = nodes[args[1]], isFusable(args[1]) {
                (code, operands) = (o == .add ? .madd : .msub, m + [args[0]])
                fused.insert(args[1])
            } else if o == .add, case .apply(.mul, let m) = nodes[args[0]], isFusable(args[0]) {
                (code, operands) = (.madd, m + [args[1]])
                fused.insert(args[0])
            } else if o == .sub, case .apply(.div, let q) = nodes[args[1]], isFusable(args[1], .div) {
                (code, operands) = (.divSub, q + [args[0]])
                fused.insert(args[1])
            }
            // A single uniform factor becomes a number.
            if code == .op(.mul) || code == .madd, uniform[operands[0]] != uniform[operands[1]] {
                let (s, v) = uniform[operands[0]] ? (operands[0], operands[1]) : (operands[1], operands[0])
                if code == .op(.mul) {
                    (code, operands) = (.scale, [v, s])
                } else if !uniform[operands[2]] {
                    (code, operands) = (.scaleAdd, [v, operands[2], s])
                } else if case .apply(.sqrt, let r) = nodes[v], isFusable(v, .sqrt), !uniform[r[0]] {
                    // sqrt(v)*scale + eps
                    (code, operands) = (.sqrtAffine, [r[0], s, operands[2]])
                    fused.insert(v)
                } else {
                    (code, operands) = (.affine, [v, s, operands[2]])
                }
            }
            plan[i] = (code, operands)
        }
        for x in fused { plan[x] = nil }
        return plan
    }
}
