import CLua
import DescentCore

/// Swift objects in Lua: full userdata holding one retained reference, released by `__gc`.
/// Each kind has a metatable in the registry (`descent.Tensor`, `descent.Module`, ...); the
/// bindings fill in `__index` and the metamethods.
public enum Userdata {
    public static let tensor = "descent.Tensor"
    public static let module = "descent.Module"
    public static let criterion = "descent.Criterion"
    public static let optimizer = "descent.Optimizer"
    public static let schedule = "descent.Schedule"
    public static let kernel = "descent.Kernel"
    static let all = [tensor, module, criterion, optimizer, schedule, kernel]

    static func registerMetatables(_ vm: LuaVM) {
        let L = vm.L
        for name in all {
            luaL_newmetatable(L, name)
            descent_pushcfunction(L, { L in
                // __gc: drop the Swift reference once, then mark the block empty.
                guard let L, let block = lua_touserdata(L, 1)?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self),
                      let p = block.pointee else { return 0 }
                block.pointee = nil
                Unmanaged<AnyObject>.fromOpaque(p).release()
                return 0
            })
            lua_setfield(L, -2, "__gc")
            vm.metatables.append(lua_topointer(L, -1))
            descent_pop(L, 1)
        }
    }

    static func metatableName(_ object: AnyObject) -> String {
        switch object {
        case is Tensor: return tensor
        case is Module: return module
        case is Criterion: return criterion
        case is Optimizer: return optimizer
        case is ElementwiseProgram: return kernel
        default: return schedule
        }
    }

    /// What error messages call an object: `tensor`, `module`, ...
    static func typeName(_ object: AnyObject) -> String {
        switch object {
        case is Tensor: return "tensor"
        case is Module: return "module"
        case is Criterion: return "criterion"
        case is Optimizer: return "optimizer"
        case is Schedule: return "schedule"
        case is ElementwiseProgram: return "kernel"
        default: return "userdata"
        }
    }

    /// Pushes `object` as a new userdata with its kind's metatable.
    public static func push(_ vm: LuaVM, _ object: AnyObject) {
        let L = vm.L
        let block = descent_newuserdata(L, MemoryLayout<UnsafeMutableRawPointer?>.size)!
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        block.pointee = Unmanaged.passRetained(object).toOpaque()
        luaL_setmetatable(L, metatableName(object))
    }

    /// The object at `index` if it is a Descent userdata of type `T` (no error raised).
    public static func object<T>(_ vm: LuaVM, at index: Int32, as: T.Type) -> T? {
        // Every argument check passes through here: identify the metatable by address (cached at
        // registration) rather than by reading and converting its __name string.
        let L = vm.L
        guard lua_type(L, index) == LUA_TUSERDATA, lua_getmetatable(L, index) != 0 else { return nil }
        let mt = lua_topointer(L, -1)
        descent_pop(L, 1)
        guard vm.metatables.contains(mt),
              let p = lua_touserdata(L, index)?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? T
    }
}
