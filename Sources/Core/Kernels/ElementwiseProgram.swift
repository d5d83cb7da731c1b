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
    /// Floats per chunk, and how many chunks ahead each tensor is prefetched. Measured for Adam
    /// on 10M parameters, one thread, against native adam (its pass then in Swift's SSE vectors;
    /// since it is C per ISA, adam.c, lua_adam runs 1.27-1.37x of it with 256 and 2, and prefetching
    /// 0, 1, 4 or 8 chunks ahead gave 1.37-1.68x). AMD EPYC (family 26, 2026-12-03, in
    /// turn): 256 and 2 at 0.92-1.11x, 256 and 1 at 1.01-1.11x, 128 and 2 at 1.06-1.43x, 128 and
    /// 4 at 1.10-1.32x, 512 at 1.36-1.56x (the same at 128 with the chunk loop in C: not the
    /// loop's overhead). An Intel Xeon, in an older build: 128 and 2 at 1.00-1.13x, 256 at
    /// 1.19-1.32x, 512-2048 at 1.41-1.53x, 64 at 1.06-1.38x, no prefetching 1.18-1.23x — to
    /// measure again there with this build.
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
