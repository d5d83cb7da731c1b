import CLua
import DescentCore
import Foundation

/// `optim.kernel{tensors = {...}, body = function(t, s) ... end}`: fused elementwise kernels for
/// optimizers written in Lua (the plugin fast path).
///
/// `body` runs once, on symbolic values: `t.name` stands for each declared tensor, `s.name` for
/// a scalar supplied at call time, and the operators and tensor-style methods (`sqrt`, `abs`,
/// `sign`, `exp`, `log`, `square`, `maximum`, `minimum`, `clamp`) build an expression DAG instead
/// of computing. It returns `{name = expression}` for the tensors to overwrite. Swift compiles the
/// DAG once (`ElementwiseProgram`); calling the kernel with `{p = param, g = grad, lr = 0.1, ...}`
/// runs it in one pass over memory.
enum KernelBindings {
    static func install(_ vm: LuaVM) throws {
        let L = vm.L
        descent_getmetatable(L, Userdata.kernel)
        vm.pushFunction("kernel", call)
        lua_setfield(L, -2, "__call")
        vm.setFunction("__tostring") { vm, a in
            let p = try a.object(1, ElementwiseProgram.self, "kernel")
            vm.push(.string("optim.kernel{tensors = {\(p.tensorNames.joined(separator: ", "))}, scalars = {\(p.scalarNames.joined(separator: ", "))}}"))
            return 1
        }
        descent_pop(L, 1)

        lua_getglobal(L, "optim")
        try vm.load(HostLua.source("kernel.lua"), name: "=kernel.lua")
        vm.pushFunction("optim.kernel", compile)
        try vm.pcall(arguments: 1, results: 1)
        lua_setfield(L, -2, "kernel")
        descent_pop(L, 1)
    }

    /// `compile(tensors, scalars, nodes, outputs)` from the builder: 1-based indices throughout.
    static let compile: LuaFunction = { vm, a in
        func strings(_ i: Int32) throws -> [String] {
            guard case .array(let xs) = vm.value(at: i) else { return [] }
            return xs.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        // The builder is reachable from scripts (debug.getupvalue), so its lists are input too:
        // a missing or non-integral index becomes -1, which the program's checks reject.
        func index(_ v: LuaValue?) -> Int { (v?.number?.exactInteger(in: 1...Int(Int32.max)) ?? 0) - 1 }
        let tensors = try strings(1), scalars = try strings(2)
        guard case .array(let rawNodes) = vm.value(at: 3) else { throw a.fail(3, "node list expected") }
        var nodes: [ElementwiseProgram.Node] = []
        for case .array(let n) in rawNodes {
            guard case .string(let kind) = n.first, n.count <= 3 else { throw a.fail(3, "malformed node") }
            let operand = { (k: Int) in k < n.count ? n[k] : nil }
            switch kind {
            case "tensor": nodes.append(.tensor(index(operand(1))))
            case "scalar": nodes.append(.scalar(index(operand(1))))
            case "const": nodes.append(.constant(operand(1)?.number ?? .nan))
            default:
                guard let op = ElementwiseProgram.Op(rawValue: kind) else { throw a.fail(3, "unknown operation \(kind)") }
                nodes.append(.apply(op, n.dropFirst().map { index($0) }))
            }
        }
        var outputs: [(tensor: Int, node: Int)] = []
        if case .array(let raw) = vm.value(at: 4) {
            for case .array(let o) in raw where o.count == 2 { outputs.append((index(o[0]), index(o[1]))) }
        }
        Userdata.push(vm, try ElementwiseProgram(tensors: tensors, scalars: scalars, nodes: nodes, outputs: outputs))
        return 1
    }

    /// `kernel{name = tensor or number, ...}`: every declared tensor and every scalar the body
    /// read must be given; nothing else may be.
    static let call: LuaFunction = { vm, a in
        let L = vm.L
        let p = try a.object(1, ElementwiseProgram.self, "kernel")
        guard lua_type(L, 2) == LUA_TTABLE else {
            throw a.fail(2, "table {\((p.tensorNames + p.scalarNames).map { "\($0) = ..." }.joined(separator: ", "))} expected, got \(a.typeName(2))")
        }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(p.tensorNames.count)
        for name in p.tensorNames {
            descent_rawgetfield(L, 2, name)
            defer { descent_pop(L, 1) }
            guard let t = try Userdata.tensor(vm, at: -1) else {
                throw a.fail(2, "tensor expected for '\(name)', got \(String(cString: descent_typename(L, -1)))")
            }
            tensors.append(t)
        }
        var scalars: [Double] = []
        scalars.reserveCapacity(p.scalarNames.count)
        for name in p.scalarNames {
            descent_rawgetfield(L, 2, name)
            defer { descent_pop(L, 1) }
            var ok: Int32 = 0
            let v = lua_tonumberx(L, -1, &ok)
            guard ok != 0, lua_type(L, -1) == LUA_TNUMBER else {
                throw a.fail(2, "number expected for scalar '\(name)', got \(String(cString: descent_typename(L, -1)))")
            }
            guard v.isFinite else { throw a.fail(2, "scalar '\(name)' must be finite, got \(v)") }
            scalars.append(v)
        }
        let given = Int(descent_tablecount(L, 2))
        if given != tensors.count + scalars.count {
            let known = Set(p.tensorNames + p.scalarNames)
            lua_pushnil(L)
            while lua_next(L, 2) != 0 {
                descent_pop(L, 1)
                let key = lua_type(L, -1) == LUA_TSTRING ? String(cString: lua_tolstring(L, -1, nil)) : "?"
                if !known.contains(key) {
                    descent_pop(L, 1)
                    throw a.fail(2, "unknown field '\(key)' (the kernel reads: \((p.tensorNames + p.scalarNames).joined(separator: ", ")))")
                }
            }
        }
        let (written, allFinite) = try p.run(tensors: tensors, scalars: scalars)
        vm.finiteWrites?.record(written, allFinite: allFinite)
        return 0
    }
}
