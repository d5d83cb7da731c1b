import CLua
import DescentCore
import DescentHost
import Foundation

/// Loading and validating one Lua plugin file: it runs in its own environment (globals it
/// defines stay its own; the API is visible through `_G`) and must return a plugin table.
/// A bad file throws a `PluginFileError` with its path and reason; the registry reports it and
/// loads the rest.
struct PluginFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}

enum PluginFile {
    /// Fields each kind requires (functions) and allows.
    static let functions: [PluginKind: (required: [String], optional: [String])] = [
        .optimizer: (["update"], ["init"]),
        .schedule: (["at"], []),
        .model: (["build"], []),
        .dataset: (["load"], []),
    ]
    static let common = ["kind", "name", "doc", "defaults"]

    /// Loads the plugin file at `path`.
    static func load(_ path: String, into vm: LuaVM) throws -> Plugin {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PluginFileError(path: path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try load(source: source, origin: .file(path), into: vm)
    }

    /// Loads a plugin from its source text; `origin` names it in errors (`file:line`).
    static func load(source: String, origin: Plugin.Origin, into vm: LuaVM) throws -> Plugin {
        let L = vm.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let path = origin.description
        func fail(_ reason: String) -> PluginFileError { PluginFileError(path: path, reason: reason) }

        do {
            try vm.load(source, name: "@" + path)
        } catch {
            throw fail("syntax error: \(error)")
        }
        // A private _ENV that falls back to the globals.
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 1)
        lua_getglobal(L, "_G")
        lua_setfield(L, -2, "__index")
        lua_setmetatable(L, -2)
        _ = lua_setupvalue(L, -2, 1)
        do {
            try vm.pcall(arguments: 0, results: 1)
        } catch {
            throw fail("error while loading: \(error)")
        }
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw fail("must return a plugin table {kind = ..., name = ..., ...}, returned \(String(cString: descent_typename(L, -1)))")
        }
        let t = lua_gettop(L)
        func field(_ key: String) -> Int32 { lua_getfield(L, t, key) }

        guard field("kind") == LUA_TSTRING, let kind = PluginKind(rawValue: String(cString: lua_tolstring(L, -1, nil))) else {
            let got = lua_type(L, -1) == LUA_TSTRING ? "\"\(String(cString: lua_tolstring(L, -1, nil)))\"" : String(cString: descent_typename(L, -1))
            throw fail("wrong kind: 'kind' must be one of \(PluginKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \(got)")
        }
        descent_pop(L, 1)
        guard field("name") == LUA_TSTRING else { throw fail("'name' must be a string, got \(String(cString: descent_typename(L, -1)))") }
        let name = String(cString: lua_tolstring(L, -1, nil))
        descent_pop(L, 1)
        guard isIdentifier(name) else { throw fail("'name' must be an identifier (letters, digits, _), got \"\(name)\"") }

        var doc = ""
        switch field("doc") {
        case LUA_TNIL: break
        case LUA_TSTRING: doc = String(cString: lua_tolstring(L, -1, nil))
        default: throw fail("'doc' must be a string, got \(String(cString: descent_typename(L, -1)))")
        }
        descent_pop(L, 1)

        let fns = functions[kind]!
        for f in fns.required {
            let type = field(f)
            descent_pop(L, 1)
            if type == LUA_TNIL { throw fail("\(kind.rawValue) '\(name)' has no '\(f)' function") }
            guard type == LUA_TFUNCTION else { throw fail("'\(f)' must be a function, got \(String(cString: lua_typename(L, type)))") }
        }
        for f in fns.optional {
            let type = field(f)
            descent_pop(L, 1)
            guard type == LUA_TNIL || type == LUA_TFUNCTION else { throw fail("'\(f)' must be a function, got \(String(cString: lua_typename(L, type)))") }
        }

        let defaults = try readDefaults(vm, t, fail)
        let known = Set(common + fns.required + fns.optional)
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            descent_pop(L, 1)
            let key = lua_type(L, -1) == LUA_TSTRING ? String(cString: lua_tolstring(L, -1, nil)) : "(\(String(cString: descent_typename(L, -1))) key)"
            guard known.contains(key) else {
                throw fail("unknown field '\(key)' in \(kind.rawValue) '\(name)' (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        lua_pushvalue(L, t)
        return Plugin(kind: kind, name: name, origin: origin, doc: doc, defaults: defaults, table: LuaReference(popping: vm))
    }

    /// `defaults`: a table of numbers, booleans, strings or lists of numbers, in sorted key order.
    static func readDefaults(_ vm: LuaVM, _ t: Int32, _ fail: (String) -> PluginFileError) throws -> [(String, HyperValue)] {
        let L = vm.L
        defer { descent_pop(L, 1) }
        switch lua_getfield(L, t, "defaults") {
        case LUA_TNIL: return []
        case LUA_TTABLE: break
        default: throw fail("'defaults' must be a table, got \(String(cString: descent_typename(L, -1)))")
        }
        var out: [(String, HyperValue)] = []
        switch vm.value(at: -1) {
        case .array(let a) where a.isEmpty: return []
        case .table(let entries):
            for key in entries.keys.sorted() {
                guard isIdentifier(key) else { throw fail("default '\(key)' must have an identifier as its name") }
                guard let v = HyperMarshal.hyper(entries[key]!) else {
                    throw fail("default '\(key)' must be a number, boolean, string or list of numbers, got \(entries[key]!)")
                }
                if case .number(let d) = v, !d.isFinite { throw fail("default '\(key)' must be finite, got \(d)") }
                out.append((key, v))
            }
        default: throw fail("'defaults' must map names to values, got an array")
        }
        return out
    }

    static func isIdentifier(_ s: String) -> Bool { Plugin.isIdentifier(s) }
}

extension Plugin {
    /// Letters, digits and `_`, not starting with a digit (ASCII): plugin and experiment names.
    public static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first), first.isASCII else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSet.alphanumerics.contains($0)) }
    }
}
