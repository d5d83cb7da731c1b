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
    static func install(_ vm: LuaVM) {
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
        _ = builder.withCString { descent_loadbuffer(L, $0, strlen($0), "=optim.kernel") }
        vm.pushFunction("optim.kernel", compile)
        try! vm.pcall(arguments: 1, results: 1)
        lua_setfield(L, -2, "kernel")
        descent_pop(L, 1)
    }

    /// The symbolic side, in Lua: it runs once per kernel, so clarity beats speed. Given the
    /// Swift compiler, returns `optim.kernel`.
    static let builder = """
        local compile = ...
        local Sym = {}
        local methods = {}
        local unary = {"sqrt", "abs", "sign", "exp", "log", "square"}
        local function fail(msg) error("optim.kernel: " .. msg, 3) end

        local function new_builder()
          return {nodes = {}, memo = {}}
        end
        local function add_node(b, kind, x, y)
          local key = kind .. ":" .. tostring(x) .. ":" .. tostring(y)
          local id = b.memo[key]
          if not id then
            b.nodes[#b.nodes + 1] = {kind, x, y}
            id = #b.nodes
            b.memo[key] = id
          end
          return setmetatable({b = b, id = id}, Sym)
        end
        local function lift(b, v, what)
          if getmetatable(v) == Sym then
            if v.b ~= b then fail("an expression from another kernel was used") end
            return v.id
          end
          if math.type(v) == nil then
            fail(what .. ": kernel expressions combine symbols and numbers, got " .. type(v))
          end
          return add_node(b, "const", v + 0.0).id
        end
        local function binary(op)
          return function(x, y)
            local b = getmetatable(x) == Sym and x.b or y.b
            return add_node(b, op, lift(b, x, op), lift(b, y, op))
          end
        end
        Sym.__add, Sym.__sub, Sym.__mul = binary("add"), binary("sub"), binary("mul")
        Sym.__div, Sym.__pow = binary("div"), binary("pow")
        Sym.__unm = function(x) return add_node(x.b, "neg", x.id) end
        for _, op in ipairs(unary) do
          methods[op] = function(x) return add_node(x.b, op, x.id) end
        end
        methods.maximum = binary("maximum")
        methods.minimum = binary("minimum")
        methods.clamp = function(x, lo, hi) return methods.minimum(methods.maximum(x, lo), hi) end
        local names = {}
        for k in pairs(methods) do names[#names + 1] = k end
        table.sort(names)
        Sym.__index = function(_, k)
          local m = methods[k]
          if m then return m end
          fail("expressions have no method '" .. tostring(k) .. "' (available: " .. table.concat(names, ", ") .. ")")
        end
        local function nocompare() fail("expressions cannot be compared; use maximum/minimum, or decide outside the kernel and pass a scalar") end
        Sym.__lt, Sym.__le, Sym.__eq = nocompare, nocompare, nocompare
        Sym.__concat = function() fail("expressions cannot be concatenated") end
        Sym.__len = function() fail("expressions have no length") end
        Sym.__tostring = function(x) return "kernel expression #" .. x.id end

        return function(spec)
          if type(spec) ~= "table" then fail("a table {tensors = {...}, body = function(t, s) ... end} expected, got " .. type(spec)) end
          for k in pairs(spec) do
            if k ~= "tensors" and k ~= "body" then fail("unknown field '" .. tostring(k) .. "' (known: tensors, body)") end
          end
          local tensors, body = spec.tensors, spec.body
          if type(tensors) ~= "table" or #tensors == 0 then fail("'tensors' must be a non-empty array of names") end
          if type(body) ~= "function" then fail("'body' must be a function(t, s)") end
          local b = new_builder()
          local index = {}
          for i, name in ipairs(tensors) do
            if type(name) ~= "string" then fail("tensor names must be strings, got " .. type(name) .. " at " .. i) end
            if index[name] then fail("tensor '" .. name .. "' declared twice") end
            index[name] = i
          end
          local t = setmetatable({}, {__index = function(_, k)
            local i = index[k]
            if not i then fail("unknown tensor '" .. tostring(k) .. "' (declared: " .. table.concat(tensors, ", ") .. ")") end
            return add_node(b, "tensor", i)
          end, __newindex = function() fail("t is read-only; return the new values instead") end})
          local scalars, scalar_index = {}, {}
          local s = setmetatable({}, {__index = function(_, k)
            if type(k) ~= "string" then fail("scalar names must be strings") end
            if index[k] then fail("'" .. k .. "' is a tensor; a scalar cannot share its name") end
            if not scalar_index[k] then
              scalars[#scalars + 1] = k
              scalar_index[k] = #scalars
            end
            return add_node(b, "scalar", scalar_index[k])
          end, __newindex = function() fail("s is read-only") end})
          local out = body(t, s)
          if type(out) ~= "table" then fail("body must return a table {tensor_name = expression}, got " .. type(out)) end
          local outputs = {}
          for name, e in pairs(out) do
            if not index[name] then fail("body returned '" .. tostring(name) .. "', which is not a declared tensor (declared: " .. table.concat(tensors, ", ") .. ")") end
            outputs[#outputs + 1] = {index[name], lift(b, e, "output " .. name)}
          end
          table.sort(outputs, function(x, y) return x[1] < y[1] end)
          return compile(tensors, scalars, b.nodes, outputs)
        end
        """

    /// `compile(tensors, scalars, nodes, outputs)` from the builder: 1-based indices throughout.
    static let compile: LuaFunction = { vm, a in
        func strings(_ i: Int32) throws -> [String] {
            guard case .array(let xs) = vm.value(at: i) else { return [] }
            return xs.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        func index(_ v: LuaValue?) -> Int { Int(v?.number ?? 0) - 1 }
        let tensors = try strings(1), scalars = try strings(2)
        guard case .array(let rawNodes) = vm.value(at: 3) else { throw a.fail(3, "node list expected") }
        var nodes: [ElementwiseProgram.Node] = []
        for case .array(let n) in rawNodes {
            guard case .string(let kind) = n.first else { throw a.fail(3, "malformed node") }
            switch kind {
            case "tensor": nodes.append(.tensor(index(n[1])))
            case "scalar": nodes.append(.scalar(index(n[1])))
            case "const": nodes.append(.constant(n[1].number ?? .nan))
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
            lua_getfield(L, 2, name)
            defer { descent_pop(L, 1) }
            guard let t = Userdata.object(vm, at: -1, as: Tensor.self) else {
                throw a.fail(2, "tensor expected for '\(name)', got \(String(cString: descent_typename(L, -1)))")
            }
            tensors.append(t)
        }
        var scalars: [Double] = []
        scalars.reserveCapacity(p.scalarNames.count)
        for name in p.scalarNames {
            lua_getfield(L, 2, name)
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
        try p.run(tensors: tensors, scalars: scalars)
        return 0
    }
}
