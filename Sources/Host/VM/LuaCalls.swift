import CLua

/// An argument of a call into Lua made by a layer above Host.
public enum LuaArgument {
    /// Plain data (numbers, strings, tables of them) and tensors.
    case value(LuaValue)
    /// A Descent object as its userdata (a module, an optimizer).
    case object(AnyObject)
    /// A Lua value Swift holds (a plugin's state table), passed as itself.
    case reference(LuaReference)
}

/// Typed access to Lua values held by `LuaReference`: the layers above Host (plugins, studies)
/// read plugin tables and call plugin functions through these, never through Lua's C API.
extension LuaVM {
    /// Runs the chunk `load` left on the stack as a plugin: in a private environment whose
    /// lookups fall back to the globals, with the API tables read-only and `os.exit` refused
    /// (`Lua/sandbox.lua`); returns its first result, held.
    public func runLoadedIsolated() throws -> LuaReference {
        let top = lua_gettop(L) - 1
        defer { lua_settop(L, top) }
        if sandbox == nil {
            try load(try HostLua.source("sandbox.lua"), name: "=sandbox.lua")
            push(.array(openedGlobals.map { .string($0) }))
            try pcall(arguments: 1, results: 1)
            sandbox = LuaReference(popping: self)
        }
        _ = try sandbox!.push("sandbox")      // the factory; calling it makes this plugin's environment
        try pcall(arguments: 0, results: 1)
        _ = lua_setupvalue(L, -2, 1)
        try pcall(arguments: 0, results: 1)
        return LuaReference(popping: self)
    }

    /// A held table of `values` that raises on reading a key it lacks and on any write
    /// (`Lua/strict.lua`), naming `owner` and the known keys: the `hyper` of plugin calls.
    public func strictTable(_ values: [String: LuaValue], owner: String) throws -> LuaReference {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if strict == nil {
            try load(try HostLua.source("strict.lua"), name: "=strict.lua")
            try pcall(arguments: 0, results: 1)
            strict = LuaReference(popping: self)
        }
        _ = try strict!.push("strict")
        push(.table(values))
        push(.string(owner))
        push(.string(values.keys.sorted().joined(separator: ", ")))
        try pcall(arguments: 3, results: 1)
        return LuaReference(popping: self)
    }

    /// A held Lua array of the values `references` hold (state tables passed as one list).
    public func list(_ references: [LuaReference]) throws -> LuaReference {
        lua_createtable(L, Int32(references.count), 0)
        for (i, r) in references.enumerated() {
            _ = try r.push("list")
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        return LuaReference(popping: self)
    }

    /// A held reference to a new Lua value made from `value`.
    public func reference(_ value: LuaValue) -> LuaReference {
        push(value)
        return LuaReference(popping: self)
    }

    /// Lua's type name of the referenced value ("table", "number", ...).
    public func typeName(of ref: LuaReference) throws -> String {
        _ = try ref.push("type")
        defer { descent_pop(L, 1) }
        return String(cString: descent_typename(L, -1))
    }

    /// The raw (key, value) pairs of the referenced table; empty when it is not a table.
    public func entries(of ref: LuaReference) throws -> [(key: LuaValue, value: LuaValue)] {
        _ = try ref.push("entries")
        defer { descent_pop(L, 1) }
        guard lua_type(L, -1) == LUA_TTABLE else { return [] }
        var out: [(LuaValue, LuaValue)] = []
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            out.append((value(at: -2, depth: 31), value(at: -1, depth: 31)))
            descent_pop(L, 1)
        }
        return out
    }

    /// The type name of `ref[key]` (`"function"`, `"nil"`, ...), raw access.
    public func fieldType(_ ref: LuaReference, _ key: String) throws -> String {
        _ = try ref.push(key)
        defer { descent_pop(L, 2) }
        lua_pushstring(L, key)
        lua_rawget(L, -2)
        return String(cString: lua_typename(L, lua_type(L, -1)))
    }

    /// The line where the Lua function `ref[key]` is defined (0 when it is not a Lua function).
    public func lineDefined(_ ref: LuaReference, _ key: String) throws -> Int {
        _ = try ref.push(key)
        defer { descent_pop(L, 2) }
        descent_rawgetfield(L, -1, key)
        return Int(descent_linedefined(L, -1))
    }

    /// Calls `ref[key](arguments...)` (`ref(arguments...)` when `key` is nil) under a traceback
    /// handler and returns `results` results.
    public func call(_ ref: LuaReference, _ key: String?, _ arguments: [LuaArgument], results: Int = 1) throws -> [LuaValue] {
        try withCall(ref, key, arguments, results: results) { (0..<results).map { value(at: Int32(-results + $0)) } }
    }

    /// Whether Lua pattern `pattern` matches in `subject` (`string.find` as the VM was made with,
    /// whatever a script did to `string` since); a bad or too costly pattern is an error.
    public func matches(_ subject: String, pattern: String) throws -> Bool {
        try LuaPattern.checkCost(pattern)
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_getfield(L, descent_registryindex(), LuaVM.stringFindKey)
        push(.string(subject))
        push(.string(pattern))
        try pcall(arguments: 2, results: 1)
        return lua_type(L, -1) != LUA_TNIL
    }

    /// Like `call`, and also holds the first result (a table the caller keeps, say).
    public func callHolding(_ ref: LuaReference, _ key: String, _ arguments: [LuaArgument]) throws -> (LuaValue, LuaReference) {
        try withCall(ref, key, arguments, results: 1) {
            let v = value(at: -1)
            lua_pushvalue(L, -1)
            return (v, LuaReference(popping: self))
        }
    }

    /// Like `call`, with each result also as a Descent object of type `T` when it is one
    /// (`LuaValue` carries tensors only, so modules come back through here).
    public func callForObjects<T: AnyObject>(_ ref: LuaReference, _ key: String, _ arguments: [LuaArgument], results: Int,
                                             as: T.Type) throws -> [(value: LuaValue, object: T?)] {
        try withCall(ref, key, arguments, results: results) {
            (0..<results).map { (value(at: Int32(-results + $0)), Userdata.object(self, at: Int32(-results + $0), as: T.self)) }
        }
    }

    private func withCall<R>(_ ref: LuaReference, _ key: String?, _ arguments: [LuaArgument], results: Int, _ read: () throws -> R) throws -> R {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        _ = try ref.push(key ?? "function")
        if let key {
            descent_rawgetfield(L, -1, key)
            lua_rotate(L, -2, -1)
            descent_pop(L, 1)
        }
        for a in arguments {
            switch a {
            case .value(let v): push(v)
            case .object(let o): Userdata.push(self, o)
            case .reference(let r): _ = try r.push(key ?? "argument")
            }
        }
        try pcall(arguments: Int32(arguments.count), results: Int32(results))
        return try read()
    }
}

extension LuaValue {
    /// Lua's name for the value's type, as error messages say it ("number", "table", "tensor").
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .array, .table: return "table"
        case .tensor: return "tensor"
        case .other(let name): return name
        }
    }
}
