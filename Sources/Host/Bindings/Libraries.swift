import CLua
import Foundation

/// `tensor`, `nn` and `clock()`.
public struct TensorLibrary: LuaLibrary {
    public init() {}
    public var globals: [String] { ["tensor", "nn", "clock"] }
    public func open(in vm: LuaVM) throws {
        TensorBindings.install(vm)
        NNBindings.install(vm)
        vm.pushFunction("clock") { vm, _ in
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            lua_pushnumber(vm.L, Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
            return 1
        }
        lua_setglobal(vm.L, "clock")
    }
}

/// `optim` and `schedule`, whose `new` and `list` go to `catalog`. A catalog that owns the VM
/// (the plugin registry) is held weakly, to break the cycle; `retained` makes the VM keep it.
public struct OptimLibrary: LuaLibrary {
    let catalog: ObjectCatalog
    let retained: Bool
    public init(catalog: ObjectCatalog, retained: Bool = true) {
        self.catalog = catalog
        self.retained = retained
    }
    public var globals: [String] { ["optim", "schedule"] }
    public func open(in vm: LuaVM) throws {
        if retained { vm.retained.append(catalog) }
        OptimBindings.install(vm, catalog: catalog)
    }
}

/// `optim.kernel` (needs `optim`).
public struct KernelLibrary: LuaLibrary {
    public init() {}
    public var globals: [String] { [] }
    public func open(in vm: LuaVM) throws { try KernelBindings.install(vm) }
}

/// `repl([vars])`.
public struct REPLLibrary: LuaLibrary {
    public init() {}
    public var globals: [String] { ["repl"] }
    public func open(in vm: LuaVM) throws { try REPLFunction.install(vm) }
}

/// `require "descent"`: a table of every global the opened libraries installed (looked up when
/// first required, so libraries opened later and `params` are included).
public struct DescentModule: LuaLibrary {
    public init() {}
    public var globals: [String] { [] }
    public func open(in vm: LuaVM) throws {
        let L = vm.L
        lua_getglobal(L, "package")
        lua_getfield(L, -1, "preload")
        vm.pushFunction("require") { vm, _ in
            lua_createtable(vm.L, 0, Int32(vm.openedGlobals.count))
            for name in vm.openedGlobals + ["params"] {
                lua_getglobal(vm.L, name)
                lua_setfield(vm.L, -2, name)
            }
            return 1
        }
        lua_setfield(L, -2, "descent")
        descent_pop(L, 2)
    }
}
