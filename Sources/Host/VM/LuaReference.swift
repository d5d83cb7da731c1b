import CLua

/// A Lua value pinned in the registry (`luaL_ref`) so Swift can hold it between calls: a plugin's
/// table, its functions, a Lua optimizer's per-parameter state tables.
///
/// It does not keep its VM alive: plugin objects live inside the VM (as userdata), so a strong
/// reference would keep the VM alive forever. Once the VM is gone, `push` throws.
public final class LuaReference {
    private let lifetime: LuaVM.Lifetime
    private let ref: Int32
    private var vm: LuaVM? { lifetime.vm?.takeUnretainedValue() }

    /// Pops the top of `vm`'s running stack into the registry.
    public init(popping vm: LuaVM) {
        lifetime = vm.lifetime
        ref = luaL_ref(vm.L, descent_registryindex())
    }

    /// Pushes the value; throws when the VM has been closed.
    public func push(_ owner: String) throws -> LuaVM {
        guard let vm else { throw LuaError(message: "\(owner): its Lua state has been closed") }
        lua_rawgeti(vm.L, descent_registryindex(), lua_Integer(ref))
        return vm
    }

    deinit {
        if let vm { luaL_unref(vm.L, descent_registryindex(), ref) }
    }
}
