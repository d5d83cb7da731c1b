extension ElementwiseProgram {
    /// Turns the fused plan into instructions over registers: liveness decides when a register
    /// is free again and which outputs are written straight into their tensor; uniforms get
    /// broadcast registers; the remaining outputs become stores.
    static func allocateRegisters(_ plan: [Int: (code: Code, args: [Int])], _ nodes: [Node], uniform: [Bool], outputs: [(tensor: Int, node: Int)],
                                  tensorCount: Int) -> (instructions: [Instruction], stores: [(tensor: Int, from: Operand)], broadcasts: [(node: Int, register: Int)], registers: Int) {
        // Liveness: the last instruction reading each node (outputs live to the end), and the
        // last instruction reading each input tensor's old value.
        let end = nodes.count
        var lastUse = [Int](repeating: -1, count: nodes.count)
        var lastRead = [Int](repeating: -1, count: tensorCount)
        for i in plan.keys.sorted() {
            for x in plan[i]!.args {
                lastUse[x] = i
                if case .tensor(let k) = nodes[x] { lastRead[k] = i }
            }
        }
        for o in outputs {
            lastUse[o.node] = end
            if case .tensor(let k) = nodes[o.node] { lastRead[k] = end }
        }
        // An output is written straight into its tensor by the instruction that computes it when
        // nothing later reads that tensor's old value (Adam's m, v and p all qualify).
        var direct: [Int: Int] = [:]
        for o in outputs where plan[o.node] != nil && direct[o.node] == nil && lastRead[o.tensor] <= o.node {
            direct[o.node] = o.tensor
        }

        var location: [Int: Operand] = [:], free: [Int] = [], count = 0
        var broadcasts: [(Int, Int)] = []
        func allocate() -> Int {
            if let r = free.popLast() { return r }
            count += 1
            return count - 1
        }
        func operand(_ node: Int) -> Operand {
            if case .tensor(let k) = nodes[node] { return .tensor(k) }
            if let l = location[node] { return l }
            // Uniforms: broadcast registers, never recycled (filled once per worker, not per chunk).
            count += 1
            location[node] = .register(count - 1)
            broadcasts.append((node, count - 1))
            return .register(count - 1)
        }
        var instructions: [Instruction] = []
        for i in plan.keys.sorted() where lastUse[i] >= 0 {
            let (code, args) = plan[i]!
            if let k = code.varyingOperands {
                let varying = Array(args.prefix(k)), numbers = Array(args.dropFirst(k))
                let ops = varying.map(operand)
                for x in Set(varying) where lastUse[x] == i {
                    if case .register(let r) = location[x] { free.append(r) }
                }
                let d: Operand = direct[i].map { .tensor($0) } ?? .register(allocate())
                location[i] = d
                let a = ops[0], b = ops.count > 1 ? ops[1] : a, c = ops.count > 2 ? ops[2] : b
                instructions.append(Instruction(code: code, a: a, b: b, c: c, destination: d, s: numbers[0], t: numbers.count > 1 ? numbers[1] : -1))
                continue
            }
            let ops = args.map(operand)
            // Free registers whose last use is here before allocating the destination, so
            // `x = x*b + c` chains reuse one register (elementwise, so in place is safe).
            for x in Set(args) where lastUse[x] == i && !uniform[x] {
                if case .register(let r) = location[x] { free.append(r) }
            }
            let d: Operand = direct[i].map { .tensor($0) } ?? .register(allocate())
            location[i] = d
            instructions.append(Instruction(code: code, a: ops[0], b: ops.count > 1 ? ops[1] : ops[0], c: ops.count > 2 ? ops[2] : ops[0], destination: d))
        }
        var stores: [(tensor: Int, from: Operand)] = []
        for o in outputs {
            if direct[o.node] == o.tensor { continue }
            var from = operand(o.node)
            if case .tensor = from {
                // Staged through a register so no store reads a tensor another store has written.
                let r = allocate()
                instructions.append(Instruction(code: .copy, a: from, b: from, c: from, destination: .register(r)))
                from = .register(r)
            }
            stores.append((o.tensor, from))
        }
        return (instructions, stores, broadcasts.map { (node: $0.0, register: $0.1) }, count)
    }
}
