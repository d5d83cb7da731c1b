import CLua
import DescentCore

/// The arguments of one call from Lua, read with the non-raising `lua_to*x` functions. Every
/// reader throws an `ArgumentError` in Lua's wording, naming the function and the position.
public struct Arguments {
    public let L: OpaquePointer
    /// The VM making the call. Unowned and unretained: it outlives every call it makes, and a
    /// counted reference cost a retain and a release per argument read (a third of a `t:add_`).
    unowned(unsafe) let vm: LuaVM
    /// The Lua-visible name of the function being called (`add_`, `nn.Conv2d`).
    public let function: String
    /// Number of arguments passed.
    public let count: Int32

    init(_ L: OpaquePointer, vm: LuaVM, function: String) {
        self.L = L
        self.vm = vm
        self.function = function
        count = lua_gettop(L)
    }

    public func fail(_ i: Int32, _ problem: String) -> ArgumentError { ArgumentError(Int(i), function, problem) }

    /// Lua's name for the type at `i` ("no value" when absent).
    public func typeName(_ i: Int32) -> String {
        if i > count { return "no value" }
        if let t = Userdata.object(vm, at: i, as: AnyObject.self) { return Userdata.typeName(t) }
        return String(cString: descent_typename(L, i))
    }

    /// Argument `i` held as a reference when it is a function (nil otherwise).
    public func function(_ i: Int32) -> LuaReference? {
        guard i <= count, lua_type(L, i) == LUA_TFUNCTION else { return nil }
        lua_pushvalue(L, i)
        return LuaReference(popping: vm)
    }

    public func isNil(_ i: Int32) -> Bool { i > count || descent_isnoneornil(L, i) != 0 }

    public func number(_ i: Int32, _ what: String = "number") throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(L, i, &ok)
        guard ok != 0, lua_type(L, i) == LUA_TNUMBER else { throw fail(i, "\(what) expected, got \(typeName(i))") }
        return v
    }

    public func finite(_ i: Int32, _ what: String = "number") throws -> Double {
        let v = try number(i, what)
        guard v.isFinite else { throw fail(i, "finite \(what) expected, got \(v)") }
        return v
    }

    public func integer(_ i: Int32, _ what: String = "integer") throws -> Int {
        let v = try number(i, what)
        guard let n = v.exactInteger(in: -(1 << 53)...(1 << 53)) else { throw fail(i, "\(what) expected, got \(v)") }
        return n
    }

    public func optionalNumber(_ i: Int32, _ fallback: Double) throws -> Double { isNil(i) ? fallback : try finite(i) }

    public func string(_ i: Int32) throws -> String {
        guard lua_type(L, i) == LUA_TSTRING, let p = lua_tolstring(L, i, nil) else { throw fail(i, "string expected, got \(typeName(i))") }
        return String(cString: p)
    }

    /// A file path: a non-empty string without NUL bytes (which C would cut it at).
    public func path(_ i: Int32) throws -> String {
        var length = 0
        guard lua_type(L, i) == LUA_TSTRING, let p = lua_tolstring(L, i, &length) else { throw fail(i, "file path (string) expected, got \(typeName(i))") }
        guard length > 0, strlen(p) == length else { throw fail(i, length == 0 ? "file path expected, got an empty string" : "file path without NUL bytes expected") }
        return String(cString: p)
    }

    public func bool(_ i: Int32) throws -> Bool {
        guard lua_type(L, i) == LUA_TBOOLEAN else { throw fail(i, "boolean expected, got \(typeName(i))") }
        return lua_toboolean(L, i) != 0
    }

    public func tensor(_ i: Int32) throws -> Tensor {
        guard let t = try Userdata.tensor(vm, at: i) else { throw fail(i, "tensor expected, got \(typeName(i))") }
        return t
    }

    /// A tensor with the given shape (in-place ops and binary operators).
    public func tensor(_ i: Int32, shaped shape: [Int]) throws -> Tensor { try shaped(try tensor(i), i, shape) }

    /// `t`, argument `i`, when it has `shape`.
    func shaped(_ t: Tensor, _ i: Int32, _ shape: [Int]) throws -> Tensor {
        guard t.shape == shape else { throw fail(i, "tensor of shape \(formatShape(shape)) expected, got \(formatShape(t.shape))") }
        return t
    }

    public func object<T>(_ i: Int32, _ type: T.Type, _ what: String) throws -> T {
        guard let o = Userdata.object(vm, at: i, as: T.self) else { throw fail(i, "\(what) expected, got \(typeName(i))") }
        return o
    }

    public func requireTable(_ i: Int32) throws {
        guard lua_type(L, i) == LUA_TTABLE else { throw fail(i, "table expected, got \(typeName(i))") }
    }

    /// A shape: a table of non-negative integers at `i`, or the integers from `i` to the last argument.
    public func shape(_ i: Int32) throws -> [Int] {
        var dims: [Int] = []
        if lua_type(L, i) == LUA_TTABLE {
            let n = lua_rawlen(L, i)
            for k in stride(from: 1, through: Int(n), by: 1) {
                lua_rawgeti(L, i, lua_Integer(k))
                defer { descent_pop(L, 1) }
                guard lua_type(L, -1) == LUA_TNUMBER else { throw fail(i, "shape of integers expected, got \(String(cString: descent_typename(L, -1))) at index \(k)") }
                let v = lua_tonumberx(L, -1, nil)
                guard let d = v.exactInteger(in: 0...(1 << 40)) else { throw fail(i, "shape of non-negative integers expected, got \(v) at index \(k)") }
                dims.append(d)
            }
        } else if lua_type(L, i) == LUA_TNUMBER {
            for k in i...count {
                let v = try number(k, "dimension (integer)")
                guard let d = v.exactInteger(in: 0...(1 << 40)) else { throw fail(k, "non-negative integer dimension expected, got \(v)") }
                dims.append(d)
            }
        } else {
            throw fail(i, "shape (table of integers) expected, got \(typeName(i))")
        }
        return dims
    }

    /// `table[key]` of the table at `i`, raw access, as a value; nil when absent.
    public func field(_ i: Int32, _ key: String) -> LuaValue {
        guard lua_type(L, i) == LUA_TTABLE else { return .nil }
        lua_pushstring(L, key)
        lua_rawget(L, i)
        defer { descent_pop(L, 1) }
        return vm.value(at: -1)
    }
}
