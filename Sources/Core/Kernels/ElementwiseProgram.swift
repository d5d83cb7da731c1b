import Foundation

/// A fused elementwise program: an expression DAG over same-shaped tensors and named scalars,
/// compiled once and run in one pass over memory. It is the fast path for optimizers written in
/// Lua: the Lua side builds the DAG with operator overloading on symbolic values (see the Host's
/// `optim.kernel`), this type evaluates it.
///
/// Compilation splits the DAG in two:
/// - *uniform* nodes (built only from scalars and constants, like `1 - beta1` or a bias
///   correction) are evaluated once per call, in Double, then rounded to Float;
/// - *varying* nodes become vector instructions over registers of `chunk` floats.
/// Each worker walks its range chunk by chunk: every instruction runs over the whole chunk
/// (so dispatch costs once per 256 elements, not per element), registers stay in L1, and each
/// input is read and each output written once — the memory traffic of a hand-fused kernel.
/// Outputs are stored after the whole chunk is computed, so an output may also be an input.
public final class ElementwiseProgram {
    public enum Op: String, CaseIterable {
        case add, sub, mul, div, pow, maximum, minimum
        case neg, sqrt, abs, sign, exp, log, square

        public var arity: Int {
            switch self {
            case .add, .sub, .mul, .div, .pow, .maximum, .minimum: return 2
            default: return 1
            }
        }
    }

    /// One DAG node; `apply` arguments index earlier nodes.
    public enum Node: Equatable {
        case tensor(Int), scalar(Int), constant(Double), apply(Op, [Int])
    }

    /// Where an instruction reads from: an input tensor or a register.
    enum Operand { case tensor(Int), register(Int) }

    /// `op` nil copies `a` (an output that is an input tensor, staged so stores never read a
    /// tensor another store has just written).
    struct Instruction {
        let op: Op?
        let a: Operand, b: Operand
        let destination: Int
    }

    public let tensorNames: [String]
    public let scalarNames: [String]
    /// (tensor index, node) pairs: after the pass, tensor `index` holds the node's value.
    public let outputs: [(tensor: Int, node: Int)]
    let nodes: [Node]
    let uniform: [Bool]
    let instructions: [Instruction]
    let stores: [(tensor: Int, from: Operand)]
    /// Uniform nodes that instructions or stores read, each broadcast into a register.
    let broadcasts: [(node: Int, register: Int)]
    let registerCount: Int
    static let chunk = 256

    public init(tensors: [String], scalars: [String], nodes: [Node], outputs: [(tensor: Int, node: Int)]) throws {
        tensorNames = tensors
        scalarNames = scalars
        self.nodes = nodes
        self.outputs = outputs
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

        // Liveness: the last instruction (or the final stores) reading each varying node.
        var lastUse = [Int](repeating: -1, count: nodes.count)
        for (i, n) in nodes.enumerated() {
            if case .apply(_, let args) = n, !uniform[i] { for a in args { lastUse[a] = i } }
        }
        for o in outputs { lastUse[o.node] = nodes.count }

        var registerOf: [Int: Int] = [:], free: [Int] = [], count = 0
        var broadcastRegister: [Int: Int] = [:], broadcasts: [(Int, Int)] = []
        func allocate() -> Int {
            if let r = free.popLast() { return r }
            count += 1
            return count - 1
        }
        func operand(_ node: Int) -> Operand {
            if case .tensor(let k) = nodes[node] { return .tensor(k) }
            if uniform[node] {
                if let r = broadcastRegister[node] { return .register(r) }
                // Never a recycled register: broadcasts are filled once per worker, not per chunk.
                count += 1
                let r = count - 1
                broadcastRegister[node] = r
                broadcasts.append((node, r))
                return .register(r)
            }
            return .register(registerOf[node]!)
        }
        var instructions: [Instruction] = []
        for (i, n) in nodes.enumerated() {
            guard case .apply(let o, let args) = n, !uniform[i], lastUse[i] >= 0 else { continue }
            let a = operand(args[0]), b = args.count > 1 ? operand(args[1]) : a
            // Free operands whose last use is this node before allocating the destination, so
            // `x = x*b + c` chains reuse one register.
            for arg in Set(args) where lastUse[arg] == i && !uniform[arg] {
                if let r = registerOf[arg] { free.append(r) }
            }
            let d = allocate()
            registerOf[i] = d
            instructions.append(Instruction(op: o, a: a, b: b, destination: d))
        }
        stores = outputs.map { o in
            guard case .tensor = nodes[o.node] else { return (o.tensor, operand(o.node)) }
            let r = allocate()
            instructions.append(Instruction(op: nil, a: operand(o.node), b: operand(o.node), destination: r))
            return (o.tensor, .register(r))
        }
        self.uniform = uniform
        self.instructions = instructions
        self.broadcasts = broadcasts
        registerCount = count
    }

    /// Runs the program over `tensors` (same element count, in `tensorNames` order) with
    /// `scalars` (in `scalarNames` order).
    public func run(tensors: [Tensor], scalars: [Double]) throws {
        let op = "optim.kernel"
        guard tensors.count == tensorNames.count, scalars.count == scalarNames.count else {
            throw DescentError(op, "\(tensorNames.count) tensors and \(scalarNames.count) scalars expected, got \(tensors.count) and \(scalars.count)")
        }
        let n = tensors.first?.count ?? 0
        for (t, name) in zip(tensors, tensorNames) where t.shape != tensors[0].shape {
            throw DescentError(op, "tensor '\(name)' of shape \(formatShape(tensors[0].shape)) expected (that of '\(tensorNames[0])'), got \(formatShape(t.shape))")
        }
        let values = evaluateUniforms(scalars)
        let fills = broadcasts.map { (register: $0.register, value: Float(values[$0.node])) }
        let pointers = tensors.map(\.data)
        let chunk = Self.chunk
        Parallel.forRanges(n) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(1, registerCount) * chunk) { scratch in
                let regs = scratch.baseAddress!
                for f in fills { (regs + f.register * chunk).update(repeating: f.value, count: chunk) }
                var start = range.lowerBound
                while start < range.upperBound {
                    // Vectors step 8 at a time; the last may run into the storage's padding (see VectorAccess).
                    let len = (Swift.min(chunk, range.upperBound - start) + 7) & ~7
                    func pointer(_ o: Operand) -> UnsafeMutablePointer<Float> {
                        switch o {
                        case .tensor(let k): return pointers[k] + start
                        case .register(let r): return regs + r * chunk
                        }
                    }
                    for ins in instructions {
                        Self.execute(ins.op, pointer(ins.a), pointer(ins.b), regs + ins.destination * chunk, len)
                    }
                    for s in stores {
                        (pointers[s.tensor] + start).update(from: pointer(s.from), count: Swift.min(chunk, range.upperBound - start))
                    }
                    start += chunk
                }
            }
        }
    }

    /// Values of the uniform nodes for one call (NaN for varying nodes, which are never read).
    func evaluateUniforms(_ scalars: [Double]) -> [Double] {
        var v = [Double](repeating: .nan, count: nodes.count)
        for (i, n) in nodes.enumerated() where uniform[i] {
            switch n {
            case .tensor: continue
            case .scalar(let k): v[i] = scalars[k]
            case .constant(let c): v[i] = c
            case .apply(let o, let args): v[i] = Self.scalar(o, v[args[0]], args.count > 1 ? v[args[1]] : 0)
            }
        }
        return v
    }

    static func scalar(_ op: Op, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return Foundation.pow(a, b)
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .neg: return -a
        case .sqrt: return a.squareRoot()
        case .abs: return Swift.abs(a)
        case .sign: return a > 0 ? 1 : a < 0 ? -1 : 0
        case .exp: return Foundation.exp(a)
        case .log: return Foundation.log(a)
        case .square: return a * a
        }
    }

    /// One instruction over `len` floats (a multiple of 8).
    static func execute(_ op: Op?, _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ len: Int) {
        guard let op else { return d.update(from: a, count: len) }
        switch op {
        case .add: binary(a, b, d, len) { $0 + $1 }
        case .sub: binary(a, b, d, len) { $0 - $1 }
        case .mul: binary(a, b, d, len) { $0 * $1 }
        case .div: binary(a, b, d, len) { $0 / $1 }
        case .maximum: binary(a, b, d, len) { $0.replacing(with: $1, where: $1 .> $0) }
        case .minimum: binary(a, b, d, len) { $0.replacing(with: $1, where: $1 .< $0) }
        case .neg: unary(a, d, len) { -$0 }
        case .sqrt: unary(a, d, len) { $0.squareRoot() }
        case .abs: unary(a, d, len) { $0.replacing(with: -$0, where: $0 .< 0) }
        case .square: unary(a, d, len) { $0 * $0 }
        case .sign: unary(a, d, len) { x in Float8(repeating: 0).replacing(with: 1, where: x .> 0).replacing(with: -1, where: x .< 0) }
        case .pow: for i in 0..<len { d[i] = Foundation.pow(a[i], b[i]) }
        case .exp: for i in 0..<len { d[i] = Foundation.exp(a[i]) }
        case .log: for i in 0..<len { d[i] = Foundation.log(a[i]) }
        }
    }

    @inline(__always) static func binary(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                                         _ len: Int, _ f: (Float8, Float8) -> Float8) {
        forEachVector(0..<len) { i in d.setVector(i, f(a.vector(i), b.vector(i))) }
    }

    @inline(__always) static func unary(_ a: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ len: Int, _ f: (Float8) -> Float8) {
        forEachVector(0..<len) { i in d.setVector(i, f(a.vector(i))) }
    }
}
