import CLua
import DescentCore

/// Swift objects in Lua: full userdata holding one retained reference, released by `__gc`.
/// Each kind has a metatable in the registry (`descent.Tensor`, `descent.Module`, ...); the
/// bindings fill in `__index` and the metamethods.
///
/// A block is two words, a tag and the reference: scripts can hand any userdata to our
/// metamethods (`getmetatable(t).__gc(io.stdout)`) or give our metatable to other userdata
/// (`debug.setmetatable(io.stdout, getmetatable(t))`), so a block counts as ours only when its
/// size and its tag say so.
public enum Userdata {
    /// The first word of every block of ours.
    static let tag = UInt(0xDE5C_E27_0B1E_C7)
    static let blockSize = 2 * MemoryLayout<UInt>.size

    /// The reference slot of the userdata at `index` when it is a block of ours (nil otherwise).
    static func slot(_ L: OpaquePointer, _ index: Int32) -> UnsafeMutablePointer<UnsafeMutableRawPointer?>? {
        guard lua_type(L, index) == LUA_TUSERDATA, lua_rawlen(L, index) == blockSize, let raw = lua_touserdata(L, index) else { return nil }
        let words = raw.assumingMemoryBound(to: UInt.self)
        guard words[0] == tag else { return nil }
        return UnsafeMutableRawPointer(words + 1).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }

    public static let tensor = "descent.Tensor"
    public static let module = "descent.Module"
    public static let criterion = "descent.Criterion"
    public static let optimizer = "descent.Optimizer"
    public static let schedule = "descent.Schedule"
    public static let kernel = "descent.Kernel"
    public static let transform = "descent.Transform"
    static let all = [tensor, module, criterion, optimizer, schedule, kernel, transform]

    /// Creates the metatables in `L`'s registry; returns their addresses (`LuaVM.metatables`).
    static func registerMetatables(_ L: OpaquePointer) -> [UnsafeRawPointer?] {
        var addresses: [UnsafeRawPointer?] = []
        for name in all {
            luaL_newmetatable(L, name)
            descent_pushcfunction(L, { L in
                // __gc: drop the Swift reference once, then mark the block empty.
                guard let L, let block = Userdata.slot(L, 1), let p = block.pointee else { return 0 }
                block.pointee = nil
                Unmanaged<AnyObject>.fromOpaque(p).release()
                return 0
            })
            lua_setfield(L, -2, "__gc")
            addresses.append(lua_topointer(L, -1))
            descent_pop(L, 1)
        }
        return addresses
    }

    static func metatableName(_ object: AnyObject) -> String {
        switch object {
        case is Tensor, is DeferredGradient: return tensor
        case is Module: return module
        case is Criterion: return criterion
        case is Optimizer: return optimizer
        case is ElementwiseProgram: return kernel
        case is GradientTransform: return transform
        default: return schedule
        }
    }

    /// What error messages call an object: `tensor`, `module`, ...
    static func typeName(_ object: AnyObject) -> String {
        switch object {
        case is Tensor, is DeferredGradient: return "tensor"
        case is Module: return "module"
        case is Criterion: return "criterion"
        case is Optimizer: return "optimizer"
        case is Schedule: return "schedule"
        case is ElementwiseProgram: return "kernel"
        case is GradientTransform: return "transform"
        default: return "userdata"
        }
    }

    /// Pushes `object` as a new userdata with its kind's metatable.
    public static func push(_ vm: LuaVM, _ object: AnyObject) {
        let L = vm.L
        let words = descent_newuserdata(L, blockSize)!.assumingMemoryBound(to: UInt.self)
        words[0] = tag
        UnsafeMutableRawPointer(words + 1).assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee = Unmanaged.passRetained(object).toOpaque()
        luaL_setmetatable(L, metatableName(object))
    }

    /// The object at `index` if it is a Descent userdata of type `T` (no error raised). A tensor
    /// is read with `tensor(_:at:)`, which computes a deferred one.
    public static func object<T>(_ vm: LuaVM, at index: Int32, as: T.Type) -> T? {
        // Every argument check passes through here: identify the metatable by address (cached at
        // registration) rather than by reading and converting its __name string.
        guard let block = ownSlot(vm, index), let p = block.pointee else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? T
    }

    /// The tensor at `index`, or nil if that is no tensor. A deferred input gradient
    /// (`model:backward`'s result) is computed here, on its first use, and replaces itself in the
    /// userdata; that computation is the only thing that throws.
    public static func tensor(_ vm: LuaVM, at index: Int32) throws -> Tensor? {
        guard let block = ownSlot(vm, index), let p = block.pointee else { return nil }
        let object = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue()
        if let t = object as? Tensor { return t }
        guard let deferred = object as? DeferredGradient else { return nil }
        let t = try deferred.tensor()
        block.pointee = Unmanaged.passRetained(t).toOpaque()
        Unmanaged<AnyObject>.fromOpaque(p).release()
        return t
    }

    /// The reference slot at `index` when it is a userdata with one of our metatables.
    private static func ownSlot(_ vm: LuaVM, _ index: Int32) -> UnsafeMutablePointer<UnsafeMutableRawPointer?>? {
        let L = vm.L
        guard lua_type(L, index) == LUA_TUSERDATA, lua_getmetatable(L, index) != 0 else { return nil }
        let mt = lua_topointer(L, -1)
        descent_pop(L, 1)
        guard vm.metatables.contains(mt) else { return nil }
        return slot(L, index)
    }
}
