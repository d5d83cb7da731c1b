import CKernels
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
/// (so dispatch costs once per 128 elements, not per element), registers stay in L1, and each
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

    /// Where an instruction reads or writes: an input tensor or a register.
    enum Operand: Equatable { case tensor(Int), register(Int) }

    /// What an instruction computes. `madd` (a*b + c) and `msub` (c - a*b) fuse a product into
    /// the sum that consumes it: the common `beta*m + (1-beta)*g` is two instructions, not three.
    /// The scalar forms take their uniform factors as numbers instead of broadcast registers,
    /// saving a stream of loads each. The roundings stay separate (no FMA), so results equal the
    /// unfused expression.
    /// With numbers s, t and varying a, b, c: `scale` s*a, `scaleAdd` s*a + b, `affine` a*s + t,
    /// `sqrtAffine` sqrt(a)*s + t, `axpby` s*a + t*b, `axpbyz` s*a + (t*b)*c, `scaleDivSub`
    /// c - (s*a)/b; and `divSub` c - a/b.
    enum Code: Equatable {
        case copy, op(Op), madd, msub, scale, scaleAdd, affine, divSub, sqrtAffine, axpby, axpbyz, scaleDivSub

        /// For the scalar forms, how many varying operands come before the numbers s (and t).
        var varyingOperands: Int? {
            switch self {
            case .scale, .affine, .sqrtAffine: return 1
            case .scaleAdd, .axpby: return 2
            case .axpbyz, .scaleDivSub: return 3
            default: return nil
            }
        }
    }

    struct Instruction {
        let code: Code
        let a: Operand, b: Operand, c: Operand
        let destination: Operand
        /// Uniform nodes the scalar forms read as numbers s and t (-1: none).
        var s = -1, t = -1
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
    /// Floats per chunk, and how many chunks ahead each tensor is prefetched. Measured for Adam
    /// on 10M parameters, one Xeon thread, against native adam: 128 and 2 ran at 1.00-1.13x;
    /// 256 at 1.19-1.32x, 512-2048 at 1.41-1.53x, 64 at 1.06-1.38x; without prefetching 1.18-1.23x.
    static let chunk = 128
    static let aheadChunks = 2

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

        // Liveness: the last instruction reading each node (outputs live to the end), and the
        // last instruction reading each input tensor's old value.
        let end = nodes.count
        var lastUse = [Int](repeating: -1, count: nodes.count)
        var lastRead = [Int](repeating: -1, count: tensors.count)
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
        self.stores = stores
        self.uniform = uniform
        self.instructions = instructions
        self.broadcasts = broadcasts
        registerCount = count
    }

    /// Runs the program over `tensors` (same element count, in `tensorNames` order) with
    /// `scalars` (in `scalarNames` order). Returns the tensors it wrote and whether every value
    /// it wrote is finite.
    @discardableResult
    public func run(tensors: [Tensor], scalars: [Double]) throws -> (written: [Tensor], allFinite: Bool) {
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
        let numbers = instructions.map { (s: $0.s >= 0 ? Float(values[$0.s]) : 0, t: $0.t >= 0 ? Float(values[$0.t]) : 0) }
        let pointers = tensors.map(\.data)
        let chunk = Self.chunk
        // Each output is checked for NaN/Inf chunk by chunk while the chunk is in cache, so
        // callers (the Lua optimizer bridge) need no second pass over memory.
        let written = Array(Set(outputs.map(\.tensor))).sorted()
        let nonFinite = Flag()
        Parallel.forRanges(n) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(1, registerCount) * chunk) { scratch in
                let regs = scratch.baseAddress!
                for f in fills { (regs + f.register * chunk).update(repeating: f.value, count: chunk) }
                var start = range.lowerBound
                while start < range.upperBound {
                    // Vectors step up to 16 at a time (AVX-512); the last may run into the storage's
                    // padding, which is a whole number of 16-float lines (see VectorAccess).
                    let len = (Swift.min(chunk, range.upperBound - start) + 15) & ~15
                    // The instructions touch one stream at a time, so the hardware prefetchers see
                    // short runs: ask for every tensor's next chunks ahead of time.
                    let ahead = start + Self.aheadChunks * chunk
                    if ahead < range.upperBound {
                        for p in pointers { descent_prefetch(p + ahead, Swift.min(chunk, range.upperBound - ahead)) }
                    }
                    func pointer(_ o: Operand) -> UnsafeMutablePointer<Float> {
                        switch o {
                        case .tensor(let k): return pointers[k] + start
                        case .register(let r): return regs + r * chunk
                        }
                    }
                    for (ins, k) in zip(instructions, numbers) {
                        descent_program_op(ins.code.cCode, pointer(ins.a), pointer(ins.b), pointer(ins.c), pointer(ins.destination), len, k.s, k.t)
                    }
                    let count = Swift.min(chunk, range.upperBound - start)
                    for s in stores {
                        (pointers[s.tensor] + start).update(from: pointer(s.from), count: count)
                    }
                    for k in written where descent_all_finite(pointers[k] + start, count) == 0 { nonFinite.set() }
                    start += chunk
                }
            }
        }
        for k in written { tensors[k].storage.noteWrite() }
        return (written.map { tensors[$0] }, !nonFinite.isSet)
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
}

/// Each instruction runs in C (CKernels/elementwise.c), which picks AVX2 at run time where
/// Swift's baseline x86-64 build cannot.
extension ElementwiseProgram.Code {
    /// The instruction's number in CKernels' DESCENT_OP_* enumeration.
    var cCode: Int32 {
        let c: Int
        switch self {
        case .copy: c = DESCENT_OP_COPY
        case .madd: c = DESCENT_OP_MADD
        case .msub: c = DESCENT_OP_MSUB
        case .scale: c = DESCENT_OP_SCALE
        case .scaleAdd: c = DESCENT_OP_SCALE_ADD
        case .affine: c = DESCENT_OP_AFFINE
        case .divSub: c = DESCENT_OP_DIV_SUB
        case .sqrtAffine: c = DESCENT_OP_SQRT_AFFINE
        case .axpby: c = DESCENT_OP_AXPBY
        case .axpbyz: c = DESCENT_OP_AXPBYZ
        case .scaleDivSub: c = DESCENT_OP_SCALE_DIV_SUB
        case .op(let o):
            switch o {
            case .add: c = DESCENT_OP_ADD
            case .sub: c = DESCENT_OP_SUB
            case .mul: c = DESCENT_OP_MUL
            case .div: c = DESCENT_OP_DIV
            case .pow: c = DESCENT_OP_POW
            case .maximum: c = DESCENT_OP_MAXIMUM
            case .minimum: c = DESCENT_OP_MINIMUM
            case .neg: c = DESCENT_OP_NEG
            case .sqrt: c = DESCENT_OP_SQRT
            case .abs: c = DESCENT_OP_ABS
            case .sign: c = DESCENT_OP_SIGN
            case .exp: c = DESCENT_OP_EXP
            case .log: c = DESCENT_OP_LOG
            case .square: c = DESCENT_OP_SQUARE
            }
        }
        return Int32(c)
    }
}

/// A flag the workers of a parallel loop may raise (rarely: a lock is cheap enough).
private final class Flag {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.lock(); raised = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return raised }
}
