import CLua
import DescentCore

/// A Lua value as Swift sees it, for marshalling in both directions.
public enum LuaValue: Equatable, CustomStringConvertible {
    case `nil`
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([LuaValue])
    case table([String: LuaValue])
    case tensor(Tensor)
    /// Anything else (functions, other userdata), described by its type name.
    case other(String)

    public static func == (a: LuaValue, b: LuaValue) -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.table(x), .table(y)): return x == y
        case let (.tensor(x), .tensor(y)): return x === y
        case let (.other(x), .other(y)): return x == y
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool(let b): return "\(b)"
        case .integer(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .string(let s): return s
        case .array(let a): return "{" + a.map(\.description).joined(separator: ", ") + "}"
        case .table(let t): return "{" + t.keys.sorted().map { "\($0) = \(t[$0]!)" }.joined(separator: ", ") + "}"
        case .tensor(let t): return "tensor \(formatShape(t.shape))"
        case .other(let s): return s
        }
    }

    /// The value as a number, for numeric variants.
    public var number: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}

extension LuaVM {
    /// Pushes a value (arrays and tables as new Lua tables, tensors as userdata).
    public func push(_ v: LuaValue) {
        switch v {
        case .nil: lua_pushnil(L)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): _ = s.withCString { lua_pushstring(L, $0) }
        case .array(let a):
            lua_createtable(L, Int32(a.count), 0)
            for (i, x) in a.enumerated() {
                push(x)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        case .table(let t):
            lua_createtable(L, 0, Int32(t.count))
            for (k, x) in t {
                push(x)
                lua_setfield(L, -2, k)
            }
        case .tensor(let t): Userdata.push(self, t)
        case .other: lua_pushnil(L)
        }
    }

    /// Reads the value at `index` without side effects: raw table access, no metamethods.
    /// Tables with keys 1..n only become arrays. Walks of user data are bounded: tables nested
    /// deeper than 32 become `.other("table")`, and past `budget` values in all (a table that
    /// holds itself twice, 27 levels down, has 2^27 paths) the rest are `.other("table")` too.
    public func value(at index: Int32, depth: Int = 0) -> LuaValue {
        var budget = 1 << 20
        return value(at: index, depth: depth, budget: &budget)
    }

    private func value(at index: Int32, depth: Int, budget: inout Int) -> LuaValue {
        let i = lua_absindex(L, index)
        budget -= 1
        switch lua_type(L, i) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, i) != 0 { return .integer(Int(lua_tointegerx(L, i, nil))) }
            return .number(lua_tonumberx(L, i, nil))
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, i, &len)!
            return .string(String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self))
        case LUA_TTABLE:
            // Each level holds a key and a value on the stack: make room, or stop (Lua's stack
            // only guarantees 20 free slots, and writing past them corrupts memory).
            guard depth < 32, budget > 0, lua_checkstack(L, 4) != 0 else { return .other("table") }
            var array: [LuaValue] = [], dict: [String: LuaValue] = [:]
            var isArray = true
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                let v = value(at: -1, depth: depth + 1, budget: &budget)
                if lua_type(L, -2) == LUA_TNUMBER, lua_isinteger(L, -2) != 0 {
                    dict[String(lua_tointegerx(L, -2, nil))] = v
                } else if lua_type(L, -2) == LUA_TSTRING {
                    isArray = false
                    dict[String(cString: lua_tolstring(L, -2, nil))] = v
                } else {
                    isArray = false
                }
                descent_pop(L, 1)
            }
            if isArray {
                for k in 1...max(1, dict.count) {
                    guard let v = dict[String(k)] else { isArray = dict.isEmpty; break }
                    array.append(v)
                }
                if isArray { return .array(array) }
            }
            return .table(dict)
        case LUA_TUSERDATA:
            if let t = (try? Userdata.tensor(self, at: i)) ?? nil { return .tensor(t) }   // computes a deferred gradient
            return .other(String(cString: descent_typename(L, i)))
        default:
            return .other(String(cString: descent_typename(L, i)))
        }
    }
}
