import CLua
import DescentCore

/// `optim.*` and `schedule.*`: creation by name (native or plugin), `opt:step`, live
/// `opt.hyper` / `s.hyper` tables, `opt:state(i)`.
enum OptimBindings {
    static func install(_ vm: LuaVM, catalog: ObjectCatalog) {
        let L = vm.L
        weak let catalog = catalog
        func live() throws -> ObjectCatalog {
            guard let catalog else { throw DescentError("optim", "the plugin registry of this VM is gone") }
            return catalog
        }
        installNamespace(vm, "optim", make: { vm, a, name, h in
            let groups = try CompositionBindings.groups(vm, a, 3)
            guard !groups.isEmpty else { return try live().makeOptimizer(name, h) }
            return try GroupedOptimizer(groups: groups) { overrides in try live().makeOptimizer(name, h + overrides) }
        }, names: { _ in (try? live().optimizerNames) ?? [] })
        installNamespace(vm, "schedule", make: { _, _, name, h in try live().makeSchedule(name, h) }, names: { _ in (try? live().scheduleNames) ?? [] })
        CompositionBindings.install(vm, catalog: live)
        installHyperMetamethods(vm)

        lua_createtable(L, 0, 7)
        vm.setFunction("step", optimizerStep)
        vm.setFunction("state") { vm, a in
            let opt = try a.object(1, Optimizer.self, "optimizer")
            let i = try a.integer(2, "parameter index (integer)")
            guard i >= 1 else { throw a.fail(2, "parameter index >= 1 expected, got \(i)") }
            guard i <= opt.states.count else { lua_pushnil(vm.L); return 1 }
            pushState(vm, opt.states[i - 1])
            return 1
        }
        vm.setFunction("swap_averages", CompositionBindings.swapAverages)
        // State (moments, step counts, a Lua plugin's state tables) and hyperparameters.
        vm.setFunction("save", ArchiveBindings.save("optimizer", kind: "optimizer") { (o: Optimizer, archive) in OptimizerCheckpoint.store(o, into: &archive) })
        vm.setFunction("load", ArchiveBindings.load("optimizer") { (o: Optimizer, archive, path) in try OptimizerCheckpoint.restore(o, from: archive, path: path) })
        installMetatable(vm, Userdata.optimizer) { a in
            let o = try a.object(1, Optimizer.self, "optimizer")
            return (o.name, o.description)
        }

        lua_createtable(L, 0, 0)
        installMetatable(vm, Userdata.transform) { a in
            let t = try a.object(1, GradientTransform.self, "transform")
            return (t.name, t.description)
        }

        lua_createtable(L, 0, 2)
        vm.setFunction("at") { vm, a in
            let s = try a.object(1, Schedule.self, "schedule")
            let step = try a.integer(2, "step (integer)")
            guard step >= 0 else { throw a.fail(2, "step >= 0 expected, got \(step)") }
            lua_pushnumber(vm.L, try s.at(step))
            return 1
        }
        installMetatable(vm, Userdata.schedule) { a in
            let s = try a.object(1, Schedule.self, "schedule")
            return (s.name, s.description)
        }
    }

    /// The global table `global` with `new(name [, hyper])` through `make` and `list()`.
    static func installNamespace(_ vm: LuaVM, _ global: String, make: @escaping (LuaVM, Arguments, String, [(String, HyperValue)]) throws -> AnyObject,
                                 names: @escaping (LuaVM) -> [String]) {
        lua_createtable(vm.L, 0, 2)
        vm.setFunction("new", prefix: global + ".") { vm, a in
            let name = try a.string(1)
            Userdata.push(vm, try make(vm, a, name, try HyperMarshal.pairs(a, 2)))
            return 1
        }
        vm.setFunction("list", prefix: global + ".") { vm, _ in vm.push(.array(names(vm).map { .string($0) })); return 1 }
        lua_setglobal(vm.L, global)
    }

    /// Finishes the metatable `kind` of optimizers or schedules: the methods table on top of the
    /// stack goes to the registry; `__index` serves methods, then `name`, then `hyper`;
    /// `__tostring` prints the object. `identify` reads self and returns its name and description.
    static func installMetatable(_ vm: LuaVM, _ kind: String, identify: @escaping (Arguments) throws -> (name: String, text: String)) {
        let L = vm.L
        let methods = kind + ".methods"
        lua_setfield(L, descent_registryindex(), methods)
        descent_getmetatable(L, kind)
        try! vm.setMethodIndex(methods: methods, fields: kind + ".__index") { vm, a in try fields(vm, a, name: try identify(a).name, owner: 1) }
        vm.setFunction("__tostring") { vm, a in vm.push(.string(try identify(a).text)); return 1 }
        descent_pop(L, 1)
    }

    /// The fields of optimizers and schedules after their methods: `name`, `hyper`.
    static func fields(_ vm: LuaVM, _ a: Arguments, name: String, owner: Int32) throws -> Int32 {
        let L = vm.L
        guard lua_type(L, 2) == LUA_TSTRING else { lua_pushnil(L); return 1 }
        switch try a.string(2) {
        case "name": vm.push(.string(name))
        case "hyper": pushHyperProxy(vm, owner: owner)
        default: lua_pushnil(L)
        }
        return 1
    }

    /// The object whose hyperparameters a proxy table shows: stored in its metatable.
    static func hyperOwner(_ vm: LuaVM, _ a: Arguments) throws -> (get: Hyperparameters, set: (String, HyperValue) throws -> Void) {
        guard lua_getmetatable(vm.L, 1) != 0 else { throw a.fail(1, "hyper table expected") }
        lua_getfield(vm.L, -1, "__owner")
        defer { descent_pop(vm.L, 2) }
        if let o = Userdata.object(vm, at: -1, as: Optimizer.self) { return (o.hyper, o.setHyper) }
        if let s = Userdata.object(vm, at: -1, as: Schedule.self) { return (s.hyper, s.setHyper) }
        if let t = Userdata.object(vm, at: -1, as: GradientTransform.self) { return (t.hyper, t.setHyper) }
        throw a.fail(1, "hyper table expected")
    }

    /// Registry key of the hyper proxies' metamethods, made once per VM (a proxy's metatable
    /// copies them: making Swift functions per `opt.hyper` access leaked four closures each).
    static let hyperMetamethods = "descent.hyper.metamethods"

    static func installHyperMetamethods(_ vm: LuaVM) {
        lua_createtable(vm.L, 0, 4)
        vm.setFunction("__index", prefix: "hyper.") { vm, a in
            let (h, _) = try hyperOwner(vm, a)
            guard lua_type(vm.L, 2) == LUA_TSTRING, let v = h[try a.string(2)] else { lua_pushnil(vm.L); return 1 }
            vm.push(HyperMarshal.lua(v))
            return 1
        }
        vm.setFunction("__newindex", prefix: "hyper.") { vm, a in
            let (h, set) = try hyperOwner(vm, a)
            let key = try a.string(2)
            guard h[key] != nil else {
                throw ArgumentError(message: "\(h.owner): unknown hyperparameter '\(key)' (known: \(h.keys.joined(separator: ", ")))")
            }
            try set(key, try HyperMarshal.hyper(vm.value(at: 3), key: key, a, 3))
            return 0
        }
        vm.setFunction("__pairs", prefix: "hyper.") { vm, a in
            // pairs() iterates a snapshot; writes still go through __newindex.
            let (h, _) = try hyperOwner(vm, a)
            lua_getglobal(vm.L, "next")
            vm.push(HyperMarshal.lua(h))
            lua_pushnil(vm.L)
            return 3
        }
        vm.setFunction("__tostring", prefix: "hyper.") { vm, a in vm.push(.string(try hyperOwner(vm, a).get.description)); return 1 }
        lua_setfield(vm.L, descent_registryindex(), hyperMetamethods)
    }

    /// A live view of the owner's hyperparameters: reads and writes go to Swift, validated.
    static func pushHyperProxy(_ vm: LuaVM, owner: Int32) {
        let L = vm.L
        let ownerIndex = lua_absindex(L, owner)
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 5)
        lua_getfield(L, descent_registryindex(), hyperMetamethods)
        for name in ["__index", "__newindex", "__pairs", "__tostring"] {
            lua_getfield(L, -1, name)
            lua_setfield(L, -3, name)
        }
        descent_pop(L, 1)
        lua_pushvalue(L, ownerIndex)
        lua_setfield(L, -2, "__owner")
        lua_setmetatable(L, -2)
    }

    static func pushState(_ vm: LuaVM, _ s: OptimizerState) {
        lua_createtable(vm.L, 0, Int32(s.keys.count))
        for (k, v) in s.pairs {
            switch v {
            case .tensor(let t): Userdata.push(vm, t)
            case .number(let n): lua_pushnumber(vm.L, n)
            }
            lua_setfield(vm.L, -2, k)
        }
    }

    /// A tensor or an array of tensors at `i`.
    static func tensorList(_ vm: LuaVM, _ a: Arguments, _ i: Int32) throws -> [Tensor] {
        if let t = try Userdata.tensor(vm, at: i) { return [t] }
        guard lua_type(a.L, i) == LUA_TTABLE else { throw a.fail(i, "tensor or array of tensors expected, got \(a.typeName(i))") }
        let n = Int(lua_rawlen(a.L, i))
        var out: [Tensor] = []
        out.reserveCapacity(n)
        for k in stride(from: 1, through: n, by: 1) {
            lua_rawgeti(a.L, i, lua_Integer(k))
            defer { descent_pop(a.L, 1) }
            guard let t = try Userdata.tensor(vm, at: -1) else {
                throw a.fail(i, "tensor expected at index \(k), got \(String(cString: descent_typename(a.L, -1)))")
            }
            out.append(t)
        }
        return out
    }

    static let optimizerStep: LuaFunction = { vm, a in
        let opt = try a.object(1, Optimizer.self, "optimizer")
        let params = try tensorList(vm, a, 2), grads = try tensorList(vm, a, 3)
        try opt.step(params, grads)
        vm.betweenSteps?()
        lua_settop(a.L, 1)
        return 1
    }
}
