import CLua
import DescentCore

/// `nn.*`: every Core layer and loss, with the Torch7 module methods.
enum NNBindings {
    static func install(_ vm: LuaVM) {
        let L = vm.L
        lua_createtable(L, 0, 32)
        for (name, f) in constructors { vm.setFunction(name, prefix: "nn.", f) }
        lua_setglobal(L, "nn")

        // Modules: methods in a table kept in the registry; __index looks there, then serves fields.
        lua_createtable(L, 0, 12)
        for (name, f) in moduleMethods { vm.setFunction(name, f) }
        lua_setfield(L, descent_registryindex(), "descent.Module.methods")
        descent_getmetatable(L, Userdata.module)
        try! vm.setMethodIndex(methods: "descent.Module.methods", fields: "module.__index", moduleFields)
        vm.setFunction("__newindex", moduleNewIndex)
        vm.setFunction("__tostring") { vm, a in vm.push(.string(try a.object(1, Module.self, "module").description)); return 1 }
        descent_pop(L, 1)

        descent_getmetatable(L, Userdata.criterion)
        lua_createtable(L, 0, 2)
        vm.setFunction("forward") { vm, a in
            let c = try a.object(1, Criterion.self, "criterion")
            let out = try a.tensor(2), target = try a.tensor(3)
            lua_pushnumber(vm.L, try c.forward(out, target))
            return 1
        }
        vm.setFunction("backward") { vm, a in
            let c = try a.object(1, Criterion.self, "criterion")
            Userdata.push(vm, try c.backward(try a.tensor(2), try a.tensor(3)))
            return 1
        }
        lua_setfield(L, -2, "__index")
        vm.setFunction("__tostring") { vm, a in vm.push(.string(try a.object(1, Criterion.self, "criterion").description)); return 1 }
        descent_pop(L, 1)
    }

    static func module(_ vm: LuaVM, _ m: Module) -> Int32 {
        Userdata.push(vm, m)
        return 1
    }

    static func criterion(_ vm: LuaVM, _ c: Criterion) -> Int32 {
        Userdata.push(vm, c)
        return 1
    }

    static func modules(_ vm: LuaVM, _ a: Arguments, _ index: Int32) throws -> [Module] {
        if a.isNil(index) { return [] }
        try a.requireTable(index)
        let n = lua_rawlen(a.L, index)
        var out: [Module] = []
        for k in 0..<Int(n) {
            lua_rawgeti(a.L, index, lua_Integer(k + 1))
            defer { descent_pop(a.L, 1) }
            guard let m = Userdata.object(vm, at: -1, as: Module.self) else {
                throw a.fail(index, "module expected at index \(k + 1), got \(String(cString: descent_typename(a.L, -1)))")
            }
            out.append(m)
        }
        try Module.checkNesting(out, a.function)
        return out
    }

    static let constructors: [(String, LuaFunction)] = [
        ("Conv2d", { vm, a in
            let o = try Options(a, known: ["input", "output", "kernel", "stride", "padding", "bias"])
            return module(vm, try Conv2d(input: try o.int("input"), output: try o.int("output"), kernel: try o.pair("kernel"),
                                         stride: try o.pair("stride", (1, 1)), padding: try o.pair("padding", (0, 0)),
                                         bias: try o.bool("bias", true), rng: &vm.rng))
        }),
        ("Linear", { vm, a in
            let o = try Options(a, known: ["input", "output", "bias"])
            return module(vm, try Linear(input: try o.int("input"), output: try o.int("output"), bias: try o.bool("bias", true), rng: &vm.rng))
        }),
        ("BatchNorm2d", { vm, a in
            let o = try Options(a, known: ["channels", "eps", "momentum"])
            return module(vm, try BatchNorm2d(channels: try o.int("channels"), eps: Float(try o.number("eps", 1e-5)), momentum: Float(try o.number("momentum", 0.1))))
        }),
        ("MaxPool2d", { vm, a in
            let o = try Options(a, known: ["kernel", "stride", "padding"])
            return module(vm, try MaxPool2d(kernel: try o.pair("kernel"), stride: try o.optionalPair("stride"), padding: try o.pair("padding", (0, 0))))
        }),
        ("AvgPool2d", { vm, a in
            let o = try Options(a, known: ["kernel", "stride", "padding"])
            return module(vm, try AvgPool2d(kernel: try o.pair("kernel"), stride: try o.optionalPair("stride"), padding: try o.pair("padding", (0, 0))))
        }),
        ("ReLU", { vm, _ in module(vm, ReLU()) }),
        ("LeakyReLU", { vm, a in
            let o = try Options(a, known: ["slope"])
            return module(vm, LeakyReLU(slope: Float(try o.number("slope", 0.01))))
        }),
        ("SiLU", { vm, _ in module(vm, SiLU()) }),
        ("GELU", { vm, _ in module(vm, GELU()) }),
        ("Sigmoid", { vm, _ in module(vm, Sigmoid()) }),
        ("Tanh", { vm, _ in module(vm, Tanh()) }),
        ("GlobalAvgPool", { vm, _ in module(vm, GlobalAvgPool()) }),
        ("Flatten", { vm, _ in module(vm, Flatten()) }),
        ("Dropout", { vm, a in
            let o = try Options(a, known: ["p"])
            return module(vm, try Dropout(p: Float(try o.number("p", 0.5)), rng: &vm.rng))
        }),
        ("Sequential", { vm, a in module(vm, Sequential(try modules(vm, a, 1))) }),
        ("Residual", { vm, a in
            let inner = try a.object(1, Module.self, "module")
            let shortcut = a.isNil(2) ? nil : try a.object(2, Module.self, "module")
            try Module.checkNesting([inner] + (shortcut.map { [$0] } ?? []), "nn.Residual")
            return module(vm, Residual(inner, shortcut: shortcut))
        }),
        ("Concat", { vm, a in module(vm, try Concat(try modules(vm, a, 1))) }),
        ("CrossEntropy", { vm, _ in criterion(vm, CrossEntropy()) }),
        ("MSE", { vm, _ in criterion(vm, MSE()) }),
        ("BCEWithLogits", { vm, _ in criterion(vm, BCEWithLogits()) }),
        ("FocalLoss", { vm, a in
            let o = try Options(a, known: ["alpha", "gamma", "reduction"])
            guard let r = Reduction(rawValue: try o.string("reduction", "mean")) else { throw a.fail(1, "option 'reduction': \"mean\" or \"sum\" expected") }
            return criterion(vm, try SigmoidFocalLoss(alpha: try o.number("alpha", 0.25), gamma: try o.number("gamma", 2), reduction: r))
        }),
        ("SmoothL1", { vm, a in
            let o = try Options(a, known: ["beta"])
            return criterion(vm, try SmoothL1(beta: try o.number("beta", 1)))
        }),
    ]

    /// The fields a module's `__index` serves after its methods: `m.weight`, `m.bias`,
    /// `m.gradWeight`, `m.gradBias`, buffers, `m.modules`, `m.training`, `m.needs_input_gradient`.
    static let moduleFields: LuaFunction = { vm, a in
        let m = try a.object(1, Module.self, "module")
        let L = vm.L
        if lua_type(L, 2) == LUA_TSTRING {
            let key = try a.string(2)
            let names = m.parameterNames
            if let i = names.firstIndex(of: key) { Userdata.push(vm, m.parameters[i]); return 1 }
            if key.hasPrefix("grad"), let i = names.firstIndex(of: key.dropFirst(4).lowercased()) { Userdata.push(vm, m.gradients[i]); return 1 }
            if let b = m.buffers.first(where: { $0.name == key }) { Userdata.push(vm, b.tensor); return 1 }
            if key == "modules" {
                lua_createtable(L, Int32(m.children.count), 0)
                for (i, c) in m.children.enumerated() { Userdata.push(vm, c); lua_rawseti(L, -2, lua_Integer(i + 1)) }
                return 1
            }
            if key == "train" || key == "training" { lua_pushboolean(L, m.isTraining ? 1 : 0); return 1 }
            if key == "needs_input_gradient" { lua_pushboolean(L, m.needsInputGradient ? 1 : 0); return 1 }
        }
        lua_pushnil(L)
        return 1
    }

    /// `m.needs_input_gradient = false`: backward may skip the input gradient (returning zeros),
    /// as the Swift trainer does for a model's first layer, whose input is the data. Nothing else
    /// is assignable: weights change in place (`m.weight:copy_(t)`), so they stay shared.
    static let moduleNewIndex: LuaFunction = { vm, a in
        let m = try a.object(1, Module.self, "module")
        let key = try a.string(2)
        guard key == "needs_input_gradient" else {
            throw DescentError("nn", "'\(key)' cannot be assigned on \(m.description.split(separator: "\n")[0]) (assignable: needs_input_gradient; change tensors in place, e.g. m.weight:copy_(t))")
        }
        guard lua_type(vm.L, 3) == LUA_TBOOLEAN else { throw DescentError("nn", "boolean expected for needs_input_gradient, got \(String(cString: descent_typename(vm.L, 3)))") }
        m.needsInputGradient = lua_toboolean(vm.L, 3) != 0
        return 0
    }

    static let moduleMethods: [(String, LuaFunction)] = [
        ("forward", { vm, a in Userdata.push(vm, try a.object(1, Module.self, "module").forward(try a.tensor(2))); return 1 }),
        ("backward", { vm, a in
            // The input gradient is computed when the script first uses it (DeferredGradient): a
            // training loop that drops it, as most do, does not pay for it.
            let m = try a.object(1, Module.self, "module")
            let g = try m.backwardDeferringInputGradient(try a.tensor(2), try a.tensor(3))
            Userdata.push(vm, g.isComputed ? try g.tensor() : g)
            return 1
        }),
        // name -> parameter, and the names in module order: `local named, order = m:named_parameters()`.
        ("named_parameters", { vm, a in
            let named = try a.object(1, Module.self, "module").labelParameters()
            lua_createtable(vm.L, 0, Int32(named.count))
            for (n, t) in named { Userdata.push(vm, t); lua_setfield(vm.L, -2, n) }
            vm.push(.array(named.map { .string($0.name) }))
            return 2
        }),
        ("parameters", { vm, a in
            let m = try a.object(1, Module.self, "module")
            m.labelParameters()
            for list in [m.parameters, m.gradients] {
                lua_createtable(vm.L, Int32(list.count), 0)
                for (i, t) in list.enumerated() { Userdata.push(vm, t); lua_rawseti(vm.L, -2, lua_Integer(i + 1)) }
            }
            return 2
        }),
        ("zero_grad", { vm, a in try a.object(1, Module.self, "module").zeroGrad(); lua_settop(a.L, 1); return 1 }),
        ("train", { vm, a in try a.object(1, Module.self, "module").train(); lua_settop(a.L, 1); return 1 }),
        ("evaluate", { vm, a in try a.object(1, Module.self, "module").evaluate(); lua_settop(a.L, 1); return 1 }),
        ("add", { vm, a in
            guard let s = Userdata.object(vm, at: 1, as: Sequential.self) else { throw a.fail(1, "nn.Sequential expected, got \(a.typeName(1))") }
            try s.append(try a.object(2, Module.self, "module"))
            lua_settop(a.L, 1)
            return 1
        }),
        // Parameters, buffers and dropout generators; load checks the architecture and leaves
        // the model untouched when the file is bad.
        ("save", ArchiveBindings.save("module", kind: "model") { (m: Module, archive) in ModelCheckpoint.store(m, into: &archive) }),
        ("load", ArchiveBindings.load("module") { (m: Module, archive, path) in try ModelCheckpoint.restore(m, from: archive, path: path) }),
        ("num_parameters", { vm, a in lua_pushinteger(vm.L, lua_Integer(try a.object(1, Module.self, "module").parameterCount)); return 1 }),
    ]
}
