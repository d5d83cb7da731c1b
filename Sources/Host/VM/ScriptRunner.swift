import CLua
import DescentCore

/// Runs a script file the way `descent run` does: the `arg` table as the standalone `lua`
/// builds it (script at 0, its arguments from 1) and `params` holding `--set` overrides.
public enum ScriptRunner {
    /// Parses a `--set key=value` value: booleans, numbers, else the string itself.
    public static func parse(_ text: String) -> LuaValue {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if let i = Int(text) { return .integer(i) }
            if let d = Double(text) { return .number(d) }
            return .string(text)
        }
    }

    /// Splits `key=value` pairs; throws on a pair without `=` or with an empty key.
    public static func overrides(_ pairs: [String]) throws -> [String: LuaValue] {
        var out: [String: LuaValue] = [:]
        for p in pairs {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex, !p[p.index(after: eq)...].contains("=") else {
                throw DescentError("--set", "key=value (one '=') expected, got '\(p)'")
            }
            out[String(p[..<eq])] = parse(String(p[p.index(after: eq)...]))
        }
        return out
    }

    public static func run(_ vm: LuaVM, path: String, arguments: [String], params: [String: LuaValue]) throws {
        let L = vm.L
        lua_createtable(L, Int32(arguments.count), 1)
        vm.push(.string(path))
        lua_rawseti(L, -2, 0)
        for (i, a) in arguments.enumerated() {
            vm.push(.string(a))
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setglobal(L, "arg")
        vm.setGlobal("params", .table(params))
        try vm.runFile(path)
    }
}
