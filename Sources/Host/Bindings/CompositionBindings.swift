import CLua
import DescentCore

/// Composing optimizers from Lua: `optim.chain{...}`, the transforms (`clip_by_global_norm`,
/// `clip_by_value`, `add_decayed_weights`, `scale`, `ema`), `optim.lookahead`, parameter
/// groups (`optim.new(name, hyper, {groups = ...})`) and `opt:swap_averages(params)`.
enum CompositionBindings {
    static func install(_ vm: LuaVM, catalog live: @escaping () throws -> ObjectCatalog) {
        let L = vm.L
        lua_getglobal(L, "optim")
        // A Lua "transform" plugin, by name: optim.transform("centralize", {...}).
        vm.setFunction("transform", prefix: "optim.") { vm, a in
            Userdata.push(vm, try live().makeTransform(try a.string(1), try HyperMarshal.pairs(a, 2)))
            return 1
        }
        vm.setFunction("chain", prefix: "optim.") { vm, a in
            try a.requireTable(1)
            let n = Int(lua_rawlen(a.L, 1))
            var transforms: [GradientTransform] = []
            var optimizer: Optimizer? = nil
            for k in stride(from: 1, through: n, by: 1) {
                lua_rawgeti(a.L, 1, lua_Integer(k))
                defer { descent_pop(a.L, 1) }
                if let t = Userdata.object(vm, at: -1, as: GradientTransform.self), k < n {
                    transforms.append(t)
                } else if let o = Userdata.object(vm, at: -1, as: Optimizer.self), k == n {
                    optimizer = o
                } else {
                    let what = k == n ? "an optimizer last" : "a transform (optim.clip_by_global_norm(1), ...) before the optimizer"
                    let got = Userdata.object(vm, at: -1, as: AnyObject.self).map(Userdata.typeName) ?? String(cString: descent_typename(a.L, -1))
                    throw a.fail(1, "\(what) expected at index \(k), got \(got)")
                }
            }
            guard let optimizer else { throw a.fail(1, "{transform, ..., optimizer} expected, got an empty table") }
            Userdata.push(vm, try OptimizerChain(transforms, optimizer))
            return 1
        }
        let transforms: [(String, String, (Double) throws -> GradientTransform)] = [
            ("clip_by_global_norm", "max_norm", { try ClipByGlobalNorm(maxNorm: $0) }),
            ("clip_by_value", "limit", { try ClipByValue(limit: $0) }),
            ("add_decayed_weights", "weight_decay", { try AddDecayedWeights(weightDecay: $0) }),
            ("scale", "factor", { try ScaleGradients(factor: $0) }),
        ]
        for (name, argument, make) in transforms {
            vm.setFunction(name, prefix: "optim.") { vm, a in
                Userdata.push(vm, try make(try a.finite(1, argument + " (number)")))
                return 1
            }
        }
        // optim.ema(decay [, dynamic]): dynamic decay min(decay, (1 + t) / (10 + t)), as TF's.
        vm.setFunction("ema", prefix: "optim.") { vm, a in
            let dynamic = a.count >= 2 && lua_type(vm.L, 2) != LUA_TNIL ? try a.bool(2) : false
            Userdata.push(vm, try ParameterAverage(decay: try a.finite(1, "decay (number)"), dynamic: dynamic))
            return 1
        }
        vm.setFunction("lookahead", prefix: "optim.") { vm, a in
            let inner = try a.object(1, Optimizer.self, "optimizer")
            let o = try Options(a, 2, known: ["k", "alpha"])
            Userdata.push(vm, try Lookahead(inner, k: try o.number("k", 5), alpha: try o.number("alpha", 0.5)))
            return 1
        }
        descent_pop(L, 1)
    }

    /// `opt:swap_averages(params)`: exchanges parameters and their `optim.ema` averages.
    static let swapAverages: LuaFunction = { vm, a in
        let opt = try a.object(1, Optimizer.self, "optimizer")
        guard let average = opt.weightAverage else {
            throw a.fail(1, "an optimizer with weight averages (optim.chain{..., optim.ema(decay), opt}) expected, got \(opt.name)")
        }
        try average.swap(try OptimBindings.tensorList(vm, a, 2))
        lua_settop(a.L, 1)
        return 1
    }

    /// The `groups` of the options table at `index`: `{{match = PATTERN or function(param,
    /// index, name), <overrides>}, ...}`; none when absent.
    static func groups(_ vm: LuaVM, _ a: Arguments, _ index: Int32) throws -> [ParameterGroup] {
        if a.isNil(index) { return [] }
        try a.requireTable(index)
        let L = a.L
        var out: [ParameterGroup] = []
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            defer { descent_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, String(cString: lua_tolstring(L, -2, nil)) == "groups" else {
                throw a.fail(index, "options: only 'groups' is known, got '\(vm.value(at: -2))'")
            }
            guard lua_type(L, -1) == LUA_TTABLE else { throw a.fail(index, "groups: a list of group tables expected") }
            let list = lua_absindex(L, -1)
            for k in stride(from: 1, through: Int(lua_rawlen(L, list)), by: 1) {
                lua_rawgeti(L, list, lua_Integer(k))
                defer { descent_pop(L, 1) }
                out.append(try group(vm, a, k, index))
            }
        }
        return out
    }

    /// The group table on top of the stack.
    private static func group(_ vm: LuaVM, _ a: Arguments, _ k: Int, _ index: Int32) throws -> ParameterGroup {
        let L = a.L
        guard lua_type(L, -1) == LUA_TTABLE else { throw a.fail(index, "groups[\(k)]: a table expected, got \(String(cString: descent_typename(L, -1)))") }
        let t = lua_absindex(L, -1)
        descent_rawgetfield(L, t, "match")
        let matches: (Tensor, Int, String?) throws -> Bool
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            let pattern = String(cString: lua_tolstring(L, -1, nil))
            descent_pop(L, 1)
            _ = try vm.matches("", pattern: pattern)   // a malformed pattern fails here, not at the first step
            matches = { [weak vm] _, _, name in
                guard let vm, let name else { return false }
                return try vm.matches(name, pattern: pattern)
            }
        case LUA_TFUNCTION:
            let f = LuaReference(popping: vm)
            matches = { [weak vm] param, i, name in
                guard let vm else { return false }
                let r = try vm.call(f, nil, [.value(.tensor(param)), .value(.integer(i)), .value(name.map { .string($0) } ?? .nil)])
                return r.first.map { $0 != .nil && $0 != .bool(false) } ?? false
            }
        default:
            throw a.fail(index, "groups[\(k)].match: a Lua pattern (string) or a function(param, index, name) expected, got \(String(cString: descent_typename(L, -1)))")
        }
        var overrides: [(String, HyperValue)] = []
        guard case .table(let fields) = vm.value(at: t) else { return ParameterGroup(overrides: [], matches: matches) }
        for key in fields.keys.sorted() where key != "match" {
            overrides.append((key, try HyperMarshal.hyper(fields[key]!, key: key, a, index)))
        }
        return ParameterGroup(overrides: overrides, matches: matches)
    }
}
