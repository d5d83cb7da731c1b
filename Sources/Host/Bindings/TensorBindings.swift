import CLua
import DescentCore

/// `tensor.*` constructors and the tensor methods and operators of the scripting contract.
enum TensorBindings {
    static func install(_ vm: LuaVM) {
        let L = vm.L
        lua_createtable(L, 0, 8)
        let creators: [(String, LuaFunction)] = [
            ("zeros", { vm, a in push(vm, try Tensor.zeros(try a.shape(1))) }),
            ("ones", { vm, a in push(vm, try Tensor.ones(try a.shape(1))) }),
            ("full", { vm, a in push(vm, try Tensor.full(try a.shape(1), Float(try a.finite(2, "fill value (number)")))) }),
            ("randn", { vm, a in
                let shape = try a.shape(1)
                if a.isNil(2) { return push(vm, try Tensor.randn(shape, rng: &vm.rng)) }
                return push(vm, try Tensor.randn(shape, seed: UInt64(bitPattern: Int64(try a.integer(2, "seed (integer)")))))
            }),
            ("uniform", { vm, a in
                let shape = try a.shape(1)
                let lo = try a.optionalNumber(2, 0), hi = try a.optionalNumber(3, 1)
                guard lo <= hi else { throw a.fail(3, "upper bound >= lower bound (\(lo)) expected, got \(hi)") }
                return push(vm, try Tensor.uniform(shape, Float(lo), Float(hi), rng: &vm.rng))
            }),
            ("from", { vm, a in push(vm, try fromTable(vm, a)) }),
            ("load", { vm, a in push(vm, try NPY.load(try a.string(1))) }),
            ("seed", { vm, a in vm.rng = RandomGenerator(seed: UInt64(bitPattern: Int64(try a.integer(1, "seed (integer)")))); return 0 }),
        ]
        for (name, f) in creators { vm.setFunction(name, prefix: "tensor.", f) }
        lua_setglobal(L, "tensor")

        descent_getmetatable(L, Userdata.tensor)
        lua_createtable(L, 0, 48)
        for (name, f) in methods { vm.setFunction(name, f) }
        lua_setfield(L, -2, "__index")
        for (name, f) in metamethods { vm.setFunction(name, f) }
        descent_pop(L, 1)
    }

    @discardableResult
    static func push(_ vm: LuaVM, _ t: Tensor) -> Int32 {
        Userdata.push(vm, t)
        return 1
    }

    /// A tensor or a number at `i`, for operations whose operand may be either; a tensor must
    /// have `shape`.
    enum Operand { case tensor(Tensor), scalar(Float) }

    static func operand(_ a: Arguments, _ i: Int32, like shape: [Int]) throws -> Operand {
        if lua_type(a.L, i) == LUA_TNUMBER { return .scalar(Float(try a.number(i))) }
        guard let t = try Userdata.tensor(a.vm, at: i) else { throw a.fail(i, "tensor or number expected, got \(a.typeName(i))") }
        return .tensor(try a.shaped(t, i, shape))
    }

    /// 1-based indices from argument `first` on, checked against the shape.
    static func index(_ a: Arguments, _ t: Tensor, from first: Int32) throws -> Int {
        let given = Int(a.count - first + 1)
        guard given == t.rank else { throw ArgumentError(message: "bad argument #\(first) to '\(a.function)' (\(t.rank) indices expected for shape \(formatShape(t.shape)), got \(max(0, given)))") }
        var off = 0
        for (k, d) in t.shape.enumerated() {
            let i = try a.integer(first + Int32(k), "index (integer)")
            guard i >= 1, i <= d else { throw a.fail(first + Int32(k), "index out of range: \(i) not in 1..\(d)") }
            off = off * d + (i - 1)
        }
        return off
    }

    static func fromTable(_ vm: LuaVM, _ a: Arguments) throws -> Tensor {
        if lua_type(a.L, 1) == LUA_TNUMBER { return Tensor.scalar(Float(try a.number(1))) }
        try a.requireTable(1)
        var shape: [Int] = []
        var values: [Float] = []
        func walk(_ v: LuaValue, depth: Int, path: String) throws {
            switch v {
            case .array(let items):
                if depth == shape.count { shape.append(items.count) }
                else if depth > shape.count || shape[depth] != items.count {
                    throw a.fail(1, "ragged nested table: \(items.count) items at \(path), expected \(depth < shape.count ? shape[depth] : 0)")
                }
                for (k, x) in items.enumerated() { try walk(x, depth: depth + 1, path: "\(path)[\(k + 1)]") }
            case .integer, .number:
                guard depth == shape.count else { throw a.fail(1, "ragged nested table: number at \(path) where a table was expected") }
                values.append(Float(v.number!))
            case .table(let t) where t.isEmpty:
                if depth == shape.count { shape.append(0) }
            default:
                throw a.fail(1, "nested table of numbers expected, got \(v) at \(path)")
            }
        }
        try walk(vm.value(at: 1), depth: 0, path: "t")
        return try Tensor(values, shape: shape)
    }

    static func totable(_ vm: LuaVM, _ t: Tensor) {
        func build(_ dim: Int, _ offset: Int) -> LuaValue {
            if dim == t.rank { return .number(Double(t.data[offset])) }
            let stride = t.shape[(dim + 1)...].reduce(1, *)
            return .array((0..<t.shape[dim]).map { build(dim + 1, offset + $0 * stride) })
        }
        vm.push(t.rank == 0 ? .number(Double(t.data[0])) : build(0, 0))
    }

    /// A method returning a new tensor from self alone.
    static func unary(_ f: @escaping (Tensor) -> Tensor) -> LuaFunction {
        { vm, a in push(vm, f(try a.tensor(1))) }
    }

    /// An in-place method `self op= x` where x is a tensor of self's shape or a number.
    static func inPlace(_ tensorOp: @escaping (Tensor, Tensor) throws -> Void, _ scalarOp: @escaping (Tensor, Float) -> Void) -> LuaFunction {
        { vm, a in
            let t = try a.tensor(1)
            switch try operand(a, 2, like: t.shape) {
            case .tensor(let x): try tensorOp(t, x)
            case .scalar(let s): scalarOp(t, s)
            }
            lua_settop(a.L, 1)
            return 1
        }
    }

    /// A binary operator: tensor op tensor (same shape, on the fast path, or NumPy-broadcast
    /// with `elementwise`: a row or column vector against a matrix), tensor op number, number op tensor.
    static func binary(_ name: String, _ elementwise: @escaping (Float, Float) -> Float, _ tt: @escaping (Tensor, Tensor) throws -> Tensor,
                       _ ts: @escaping (Tensor, Float) -> Tensor, _ st: @escaping (Float, Tensor) -> Tensor) -> LuaFunction {
        { vm, a in
            if lua_type(a.L, 1) == LUA_TNUMBER {
                return push(vm, st(Float(try a.number(1)), try a.tensor(2)))
            }
            let t = try a.tensor(1)
            if let x = try Userdata.tensor(vm, at: 2), x.shape != t.shape {
                guard Tensor.broadcastShape(t.shape, x.shape) != nil else {
                    throw a.fail(2, "tensor of shape \(formatShape(t.shape)) or one that broadcasts to it expected, got \(formatShape(x.shape))")
                }
                return push(vm, try t.broadcasting(x, name, elementwise))
            }
            switch try operand(a, 2, like: t.shape) {
            case .tensor(let x): return push(vm, try tt(t, x))
            case .scalar(let s): return push(vm, ts(t, s))
            }
        }
    }

    /// `t:sum()` / `t:mean()` (a number), or with a 1-based `dim` (and `keepdim`) a tensor.
    static func reduction(_ all: @escaping (Tensor) -> Double, _ along: @escaping (Tensor, Int, Bool) throws -> Tensor) -> LuaFunction {
        { vm, a in
            let t = try a.tensor(1)
            guard !a.isNil(2) else { return number(vm, all(t)) }
            let d = try a.integer(2, "dimension (integer)")
            guard d >= 1, d <= t.rank else { throw a.fail(2, "dimension out of range: \(d) not in 1..\(t.rank)") }
            let keep: Bool
            switch vm.value(at: 3) {
            case .nil: keep = false
            case .bool(let b): keep = b
            default: throw a.fail(3, "keepdim (boolean) expected, got \(a.typeName(3))")
            }
            return push(vm, try along(t, d - 1, keep))
        }
    }

    /// `t:reshape(shape)` and `t:view(shape)`: the same storage with another shape (one extent may be -1).
    static func reshapeFunction(_ vm: LuaVM, _ a: Arguments) throws -> Int32 {
        let t = try a.tensor(1)
        var shape: [Int] = []
        if lua_type(a.L, 2) == LUA_TTABLE || lua_type(a.L, 2) == LUA_TNUMBER {
            // reshape allows one -1: read the raw numbers rather than a non-negative shape.
            let v = vm.value(at: 2)
            let items: [LuaValue] = { if case .array(let x) = v { return x }; return (2...a.count).map { vm.value(at: $0) } }()
            for (k, x) in items.enumerated() {
                guard let d = x.number?.exactInteger(in: -1...(1 << 40)) else {
                    throw a.fail(2, "shape of integers from -1 to 2^40 expected, got \(x) at index \(k + 1)")
                }
                shape.append(d)
            }
        } else {
            throw a.fail(2, "shape (table of integers) expected, got \(a.typeName(2))")
        }
        do { return push(vm, try t.reshape(shape)) } catch let e as DescentError { throw a.fail(2, e.message) }
    }

    static func number(_ vm: LuaVM, _ v: Double) -> Int32 {
        lua_pushnumber(vm.L, v)
        return 1
    }

    static let methods: [(String, LuaFunction)] = [
        ("shape", { vm, a in vm.push(.array(try a.tensor(1).shape.map { .integer($0) })); return 1 }),
        ("numel", { vm, a in lua_pushinteger(vm.L, lua_Integer(try a.tensor(1).count)); return 1 }),
        ("dim", { vm, a in lua_pushinteger(vm.L, lua_Integer(try a.tensor(1).rank)); return 1 }),
        ("size", { vm, a in
            let t = try a.tensor(1)
            let d = try a.integer(2, "dimension (integer)")
            guard d >= 1, d <= t.rank else { throw a.fail(2, "dimension out of range: \(d) not in 1..\(t.rank)") }
            lua_pushinteger(vm.L, lua_Integer(t.shape[d - 1]))
            return 1
        }),
        ("get", { vm, a in
            let t = try a.tensor(1)
            return number(vm, Double(t.data[try index(a, t, from: 2)]))
        }),
        ("set", { vm, a in
            let t = try a.tensor(1)
            let v = try a.number(2, "value (number)")
            t.data[try index(a, t, from: 3)] = Float(v)
            t.storage.noteWrite()
            lua_settop(a.L, 1)
            return 1
        }),
        ("clone", unary { $0.clone() }),
        ("zeros_like", unary { $0.zerosLike() }),
        ("reshape", { vm, a in try reshapeFunction(vm, a) }),
        ("totable", { vm, a in totable(vm, try a.tensor(1)); return 1 }),
        ("view", { vm, a in try reshapeFunction(vm, a) }),
        ("save", { vm, a in try NPY.save(try a.tensor(1), to: try a.string(2)); lua_settop(a.L, 1); return 1 }),
        ("sqrt", unary { $0.sqrt() }),
        ("abs", unary { $0.abs() }),
        ("sign", unary { $0.sign() }),
        ("exp", unary { $0.exp() }),
        ("log", unary { $0.log() }),
        ("square", unary { $0.square() }),
        ("neg", unary { $0.negated() }),
        ("clamp", { vm, a in
            let t = try a.tensor(1), lo = try a.number(2, "lower bound (number)"), hi = try a.number(3, "upper bound (number)")
            guard lo <= hi else { throw a.fail(3, "upper bound >= lower bound (\(lo)) expected, got \(hi)") }
            return push(vm, t.clamp(Float(lo), Float(hi)))
        }),
        ("maximum", binary("maximum", { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }, { try $0.maximum($1) }, { $0.maximum($1) }, { s, t in t.maximum(s) })),
        ("minimum", binary("minimum", { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }, { try $0.minimum($1) }, { $0.minimum($1) }, { s, t in t.minimum(s) })),
        ("matmul", { vm, a in
            let x = try a.tensor(1), y = try a.tensor(2)
            for (k, m) in [(Int32(1), x), (2, y)] where m.rank != 2 { throw a.fail(k, "matrix (rank 2) expected, got shape \(formatShape(m.shape))") }
            do { return push(vm, try Tensor.matmul(x, y)) } catch let e as DescentError { throw a.fail(2, e.message) }
        }),
        ("t", { vm, a in
            let t = try a.tensor(1)
            guard t.rank == 2 else { throw a.fail(1, "matrix (rank 2) expected, got shape \(formatShape(t.shape)); use transpose(i, j)") }
            return push(vm, try t.transposed(0, 1))
        }),
        ("transpose", { vm, a in
            let t = try a.tensor(1)
            let i = try a.integer(2, "dimension (integer)"), j = try a.integer(3, "dimension (integer)")
            for (k, d) in [(Int32(2), i), (3, j)] where !(1..<t.rank + 1).contains(d) {
                throw a.fail(k, "dimension out of range: \(d) not in 1..\(t.rank)")
            }
            return push(vm, try t.transposed(i - 1, j - 1))
        }),
        ("rms", { vm, a in number(vm, try a.tensor(1).rms()) }),
        ("copy_", { vm, a in
            let t = try a.tensor(1)
            try t.copy_(try a.tensor(2, shaped: t.shape))
            lua_settop(a.L, 1)
            return 1
        }),
        ("fill_", { vm, a in try a.tensor(1).fill_(Float(try a.number(2, "value (number)"))); lua_settop(a.L, 1); return 1 }),
        ("zero_", { vm, a in try a.tensor(1).zero_(); lua_settop(a.L, 1); return 1 }),
        ("add_", { vm, a in
            let t = try a.tensor(1)
            let alpha = Float(try a.optionalNumber(3, 1))
            switch try operand(a, 2, like: t.shape) {
            case .tensor(let x): try t.add_(x, alpha: alpha)
            case .scalar(let s): t.add_(s * alpha)
            }
            lua_settop(a.L, 1)
            return 1
        }),
        ("sub_", inPlace({ try $0.sub_($1) }, { $0.sub_($1) })),
        ("mul_", inPlace({ try $0.mul_($1) }, { $0.mul_($1) })),
        ("div_", inPlace({ try $0.div_($1) }, { $0.div_($1) })),
        ("addcmul_", { vm, a in
            let t = try a.tensor(1)
            try t.addcmul_(try a.tensor(2, shaped: t.shape), try a.tensor(3, shaped: t.shape), value: Float(try a.optionalNumber(4, 1)))
            lua_settop(a.L, 1)
            return 1
        }),
        ("addcdiv_", { vm, a in
            let t = try a.tensor(1)
            try t.addcdiv_(try a.tensor(2, shaped: t.shape), try a.tensor(3, shaped: t.shape), value: Float(try a.optionalNumber(4, 1)))
            lua_settop(a.L, 1)
            return 1
        }),
        ("lerp_", { vm, a in
            let t = try a.tensor(1)
            let end = try a.tensor(2, shaped: t.shape)
            switch try operand(a, 3, like: t.shape) {
            case .tensor(let w): try t.lerp_(end, weight: w)
            case .scalar(let w): try t.lerp_(end, weight: w)
            }
            lua_settop(a.L, 1)
            return 1
        }),
        ("sqrt_", { vm, a in try a.tensor(1).sqrt_(); lua_settop(a.L, 1); return 1 }),
        ("clamp_", { vm, a in
            let t = try a.tensor(1), lo = try a.number(2, "lower bound (number)"), hi = try a.number(3, "upper bound (number)")
            guard lo <= hi else { throw a.fail(3, "upper bound >= lower bound (\(lo)) expected, got \(hi)") }
            t.clamp_(Float(lo), Float(hi))
            lua_settop(a.L, 1)
            return 1
        }),
        ("sum", reduction({ $0.sum() }, { try $0.sum(dim: $1, keepdim: $2) })),
        ("mean", reduction({ $0.mean() }, { try $0.mean(dim: $1, keepdim: $2) })),
        ("min", { vm, a in number(vm, Double(try a.tensor(1).min())) }),
        ("max", { vm, a in number(vm, Double(try a.tensor(1).max())) }),
        ("norm", { vm, a in number(vm, try a.tensor(1).norm()) }),
        ("std", { vm, a in number(vm, try a.tensor(1).std()) }),
        ("dot", { vm, a in
            let t = try a.tensor(1)
            return number(vm, try t.dot(try a.tensor(2, shaped: t.shape)))
        }),
    ]

    static let metamethods: [(String, LuaFunction)] = [
        ("__add", binary("add", +, { try $0.adding($1) }, { $0.adding($1) }, { s, t in t.adding(s) })),
        ("__sub", binary("sub", -, { try $0.subtracting($1) }, { $0.adding(-$1) }, { s, t in t.subtracted(from: s) })),
        ("__mul", binary("mul", *, { try $0.multiplying($1) }, { $0.multiplying($1) }, { s, t in t.multiplying(s) })),
        ("__div", binary("div", /, { try $0.dividing($1) }, { $0.dividing($1) }, { s, t in t.divided(into: s) })),
        ("__unm", unary { $0.negated() }),
        ("__len", { vm, a in lua_pushinteger(vm.L, lua_Integer(try a.tensor(1).shape.first ?? 1)); return 1 }),
        ("__eq", { vm, a in
            let x = try a.tensor(1), y = try a.tensor(2)
            lua_pushboolean(vm.L, x.shape == y.shape && (x === y || x.values == y.values) ? 1 : 0)
            return 1
        }),
        ("__tostring", { vm, a in vm.push(.string(try a.tensor(1).description)); return 1 }),
    ]
}
