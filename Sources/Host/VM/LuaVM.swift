import CLua
import CLuaInterrupt
import DescentCore
import Foundation

/// A Swift closure callable from Lua. It reads its arguments from `Arguments`, pushes results
/// and returns how many; it reports failure by throwing, never by raising a Lua error itself.
public typealias LuaFunction = (LuaVM, Arguments) throws -> Int32

/// One Lua state and everything Swift keeps for it. All Lua C API calls go through here or
/// through the bindings, which receive the VM.
///
/// Errors never longjmp across Swift: Swift functions run under `descent_trampoline` (see the
/// CLua shim) and throw; the dispatcher below turns the throw into a pushed message and a
/// sentinel, and the C trampoline raises after the Swift frame has returned. Calls from Swift
/// into Lua are `lua_pcall`s with a traceback handler.
public final class LuaVM {
    /// The state of the running Lua thread: the main thread's, or a coroutine's while a Swift
    /// function it called runs (arguments are read from and results pushed to that stack).
    public private(set) var L: OpaquePointer
    /// The main thread's state.
    private let mainState: OpaquePointer
    private var functions: [(name: String, body: LuaFunction)] = []
    /// `MemoryStatistics.allocatedBytes` at the last GC step requested (see DESCENT_GCSTEP).
    private var gcMark = 0
    /// Global names that belong to the API rather than to the user (`:who` in the REPL hides
    /// them); set by whoever finishes setting up the VM, else taken when a REPL starts.
    public var builtinGlobals: Set<String>?
    /// Makes plugin environments (`runLoadedIsolated`), loaded on first use.
    var sandbox: LuaReference?
    /// Where `optim.kernel` calls report what they wrote, while a Lua optimizer step records.
    var finiteWrites: FiniteWrites?
    /// Runs after each `opt:step` a script calls, between its training steps: `descent run`
    /// follows the machine's load there (`LoadFollower`), as a study run does between steps.
    public var betweenSteps: (() -> Void)?
    /// The strict-table maker (`Lua/strict.lua`), loaded on first use.
    var strict: LuaReference?
    /// Objects the opened libraries need kept alive for as long as the VM.
    var retained: [AnyObject] = []
    /// Globals installed by the opened libraries (`open`), in order.
    public internal(set) var openedGlobals: [String] = []
    /// Addresses of the Descent userdata metatables (see `Userdata.object`).
    /// A constant, so reading it (on every argument check) costs no exclusivity check.
    let metatables: [UnsafeRawPointer?]
    /// The generator behind layer initialisation and `tensor.randn` without a seed.
    public var rng = RandomGenerator(seed: 0)
    /// Tells objects that may outlive the VM (`LuaReference`) whether it is still open.
    let lifetime = Lifetime()

    /// The VM while it is open, unowned. Not a weak reference to the VM: that would give the VM a
    /// side table, and every retain and release of it (several per binding call) would take
    /// Swift's slow reference-counting path (43% of a `t:add_` call).
    final class Lifetime {
        fileprivate(set) var vm: Unmanaged<LuaVM>?
    }

    /// A VM with Lua's standard libraries and Descent's userdata metatables, and no Descent
    /// namespace: open those with `open(_:)` (or use `LuaVM.scripting()`).
    public init() {
        guard let state = luaL_newstate() else { fatalError("cannot create a Lua state (out of memory)") }
        L = state
        mainState = state
        metatables = Userdata.registerMetatables(state)
        descent_extraspace(L).pointee = Unmanaged.passUnretained(self).toOpaque()
        lifetime.vm = Unmanaged.passUnretained(self)
        luaL_openlibs(L)
        // string.find as loaded, for matching parameter names (`matches`).
        lua_getglobal(L, "string")
        lua_getfield(L, -1, "find")
        lua_setfield(L, descent_registryindex(), LuaVM.stringFindKey)
        descent_pop(L, 1)
        do {
            try run(try HostLua.source("loading.lua"), name: "=loading.lua")
        } catch {
            fatalError("Descent's own loading.lua failed (a build mistake): \(error)")
        }
        // The signal handler's notifier (one C function for every VM: it acts on the armed state).
        StopRequest.setNotifier(descent_interrupt_notify)
    }

    deinit {
        lifetime.vm = nil
        lua_close(mainState)
    }

    /// The VM that owns `L` (any of its threads).
    static func from(_ L: OpaquePointer) -> LuaVM {
        Unmanaged<LuaVM>.fromOpaque(descent_extraspace(L).pointee!).takeUnretainedValue()
    }

    // MARK: Registering Swift functions

    /// Pushes a Lua function that runs `body`; `name` is what argument errors call it.
    public func pushFunction(_ name: String, _ body: @escaping LuaFunction) {
        functions.append((name, body))
        descent_pushfunction(L, luaDispatch, lua_Integer(functions.count - 1))
    }

    /// Sets `table[name] = function` for the table at `index`; errors name it `prefix + name`.
    public func setFunction(_ name: String, at index: Int32 = -1, prefix: String = "", _ body: @escaping LuaFunction) {
        let t = lua_absindex(L, index)
        pushFunction(prefix + name, body)
        lua_setfield(L, t, name)
    }

    /// Sets `__index` of the metatable at the top of the stack to a Lua function that looks the
    /// key up in the methods table at registry key `methods` and else calls `fields(self, key)`:
    /// a method call (`m:forward(x)`) reaches its Swift function in one crossing, not two.
    public func setMethodIndex(methods: String, fields name: String, _ fields: @escaping LuaFunction) throws {
        let t = lua_absindex(L, -1)
        try load("local methods, fields = ...\nreturn function(self, k) local m = methods[k]; if m ~= nil then return m end; return fields(self, k) end",
                 name: "=index")
        lua_getfield(L, descent_registryindex(), methods)
        pushFunction(name, fields)
        guard lua_pcallk(L, 2, 1, 0, 0, nil) == LUA_OK else { throw LuaError(message: popString()) }
        lua_setfield(L, t, "__index")
    }

    /// Registry key of the standard `string.find`.
    static let stringFindKey = "descent.string.find"

    /// How many Swift functions the VM holds: it grows only while libraries open (a function made
    /// per call would be a leak; tests watch it).
    var functionCount: Int { functions.count }

    fileprivate func call(id: Int, _ L: OpaquePointer) -> Int32 {
        let outer = self.L
        self.L = L
        defer { self.L = outer }
        do {
            let f = functions[id]
            let n = try f.body(self, Arguments(L, vm: self, function: f.name))
            let allocated = MemoryStatistics.allocatedBytes
            guard allocated &- gcMark >= Int(DESCENT_GCSTEP_KB) * 1024 else { return n }
            gcMark = allocated
            return n | DESCENT_GCSTEP
        } catch {
            lua_settop(L, 0)
            _ = lua_pushstring(L, "\(error)")
            return DESCENT_RAISE
        }
    }

    // MARK: Running Lua

    /// Pushes the chunk `source` compiles to as a function; a syntax error throws.
    public func load(_ source: String, name: String) throws {
        let status = source.withCString { descent_loadbuffer(L, $0, strlen($0), name) }
        guard status == LUA_OK else { throw LuaError(message: popString()) }
    }

    /// Loads and runs a chunk of source text; returns its results.
    @discardableResult
    public func run(_ source: String, name: String = "=(string)") throws -> [LuaValue] {
        try runChunk { source.withCString { descent_loadbuffer(L, $0, strlen($0), name) } }
    }

    /// Loads and runs a file (text only, as every load in Descent).
    @discardableResult
    public func runFile(_ path: String) throws -> [LuaValue] {
        try runChunk { luaL_loadfilex(L, path, "t") }
    }

    /// Runs the chunk `load` pushes (a load status other than OK is a syntax or file error);
    /// returns its results and leaves the stack as it found it.
    private func runChunk(_ load: () -> Int32) throws -> [LuaValue] {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard load() == LUA_OK else { throw LuaError(message: popString()) }
        try pcall(arguments: 0)
        return (top + 1..<lua_gettop(L) + 1).map { value(at: $0) }
    }

    /// Calls the function below `arguments` values on the stack, leaving all results.
    /// Ctrl-C is armed for the duration of the call (and left as it was after, for nested calls:
    /// a REPL opened from a running script).
    public func pcall(arguments: Int32, results: Int32 = LUA_MULTRET) throws {
        let outer = descent_interrupt_state()
        descent_arm_interrupt(L)
        StopRequest.arm(true)
        defer {
            descent_arm_interrupt(outer)
            StopRequest.arm(outer != nil)
        }
        let interrupts = descent_interrupt_count()
        let status = descent_pcall(L, arguments, results)
        if status != LUA_OK { throw LuaError(handled: popString(), isInterrupt: descent_interrupt_count() != interrupts) }
    }

    /// Pops the top value as a string (for error messages).
    public func popString() -> String {
        let s = descent_tostring(L, -1).map { String(cString: $0) } ?? "(error object is not a string)"
        descent_pop(L, 1)
        return s
    }

    /// Pops the top of the stack (after a `LuaReference.push` whose value is not needed).
    public func popValue() { descent_pop(L, 1) }

    /// Sets a global to a value.
    public func setGlobal(_ name: String, _ v: LuaValue) {
        push(v)
        lua_setglobal(L, name)
    }

    /// Reads a global.
    public func global(_ name: String) -> LuaValue {
        lua_getglobal(L, name)
        defer { descent_pop(L, 1) }
        return value(at: -1)
    }
}

/// The one `@convention(c)` entry point for every Swift function (see `descent_trampoline`).
private func luaDispatch(_ L: OpaquePointer?) -> Int32 {
    let L = L!
    return LuaVM.from(L).call(id: Int(descent_functionid(L)), L)
}
