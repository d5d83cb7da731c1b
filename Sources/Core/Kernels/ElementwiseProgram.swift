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
    /// Which operands each instruction (and store) prefetches: CKernels' `prefetch` bits.
    let prefetches: (instructions: [Int32], stores: [Int32])
    /// Floats per chunk, and how many chunks ahead each tensor is prefetched (by the loop that
    /// first touches it, spread over its vectors). lua_adam against native adam (its pass in C
    /// per ISA) on 10M parameters, one thread, AMD EPYC family 26, 2026-12-03, in turn: 256 and 2
    /// at 0.99-1.02x, 256 and 1 or 4 at 1.04-1.05x, 128 at 1.14-1.20x, 512 at 1.08-1.29x. With
    /// every tensor's next chunk prefetched in one burst before the chunk (the earlier design),
    /// 256 and 2 gave 1.22-1.37x: the burst filled the miss buffers and stalled. An Intel Xeon, in
    /// an older build, preferred 128 and 2 — to measure again there with this build.
    static let chunk = 256
    static let aheadChunks = 2

    public init(tensors: [String], scalars: [String], nodes: [Node], outputs: [(tensor: Int, node: Int)]) throws {
        tensorNames = tensors
        scalarNames = scalars
        self.nodes = nodes
        self.outputs = outputs
        uniform = try Self.validate(tensors: tensors, scalars: scalars, nodes: nodes, outputs: outputs)
        let plan = Self.fuse(nodes, uniform: uniform, outputs: outputs)
        (instructions, stores, broadcasts, registerCount) = Self.allocateRegisters(plan, nodes, uniform: uniform, outputs: outputs, tensorCount: tensors.count)
        prefetches = Self.prefetches(instructions, stores)
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
        let program = zip(instructions, prefetches.instructions).map { i, f in
            descent_instruction(code: i.code.cCode, a: i.a.cOperand, b: i.b.cOperand, c: i.c.cOperand, d: i.destination.cOperand,
                                s: i.s >= 0 ? Float(values[i.s]) : 0, t: i.t >= 0 ? Float(values[i.t]) : 0, prefetch: f)
        }
        let copies = zip(stores, prefetches.stores).map { descent_store(tensor: Int32($0.tensor), from: $0.from.cOperand, prefetch: $1) }
        let pointers: [UnsafeMutablePointer<Float>?] = tensors.map(\.data)
        let chunk = Self.chunk, registers = Swift.max(1, registerCount)
        // Each output is checked for NaN/Inf chunk by chunk while the chunk is in cache, so
        // callers (the Lua optimizer bridge) need no second pass over memory.
        let nonFinite = Flag()
        program.withUnsafeBufferPointer { ins in
            copies.withUnsafeBufferPointer { st in
                var p = descent_program(instructions: ins.baseAddress, stores: st.baseAddress, instruction_count: Int32(ins.count),
                                        store_count: Int32(st.count), chunk: chunk, ahead_chunks: Self.aheadChunks)
                Parallel.forRanges(n) { range in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: registers * chunk) { scratch in
                        let regs = scratch.baseAddress!
                        for f in fills { (regs + f.register * chunk).update(repeating: f.value, count: chunk) }
                        if descent_program_run(&p, pointers, regs, range.lowerBound, range.upperBound) == 0 { nonFinite.set() }
                    }
                }
            }
        }
        let written = outputs.map(\.tensor).sorted()
        for k in written { tensors[k].storage.noteWrite() }
        return (written.map { tensors[$0] }, !nonFinite.isSet)
    }

    /// The first instruction to touch each tensor in a chunk prefetches it for a later chunk
    /// (bits 1, 2, 4 for operands a, b, c; 8 for the destination when c is not prefetched);
    /// a store prefetches a tensor no instruction touches.
    static func prefetches(_ instructions: [Instruction], _ stores: [(tensor: Int, from: Operand)]) -> (instructions: [Int32], stores: [Int32]) {
        var seen = Set<Int>()
        func first(_ o: Operand) -> Bool {
            if case .tensor(let k) = o { return seen.insert(k).inserted }
            return false
        }
        let bits = instructions.map { i -> Int32 in
            var f: Int32 = (first(i.a) ? 1 : 0) | (first(i.b) ? 2 : 0) | (first(i.c) ? 4 : 0)
            if f & 4 == 0, first(i.destination) { f |= 8 }
            return f
        }
        return (bits, stores.map { first(.tensor($0.tensor)) ? 1 : 0 })
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

/// The pass runs in C (CKernels/elementwise.c), which picks AVX2 or AVX-512 at run time where
/// Swift's baseline x86-64 build cannot.
extension ElementwiseProgram.Operand {
    /// CKernels' encoding: k >= 0 tensor k, k < 0 register -1-k.
    var cOperand: Int32 {
        switch self {
        case .tensor(let k): return Int32(k)
        case .register(let r): return Int32(-1 - r)
        }
    }
}

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
