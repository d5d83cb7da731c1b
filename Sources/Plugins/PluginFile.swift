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
        // Exactly one of update (per parameter), step (a whole step) or build (an optimizer
        // composed with optim.chain, optim.lookahead, ...).
        .optimizer: ([], ["init", "update", "step", "build", "check", "average"]),
        .transform: (["update"], ["init"]),
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
        let path = origin.description
        func fail(_ reason: String) -> PluginFileError { PluginFileError(path: path, reason: reason) }

        do {
            try vm.load(source, name: "@" + path)
        } catch {
            throw fail("syntax error: \(error)")
        }
        let table: LuaReference
        do {
            table = try vm.runLoadedIsolated()
        } catch let e as LuaError where e.isInterrupt {
            throw e   // Ctrl-C stops the command, it does not skip one plugin
        } catch {
            throw fail("error while loading: \(error)")
        }
        let type = try vm.typeName(of: table)
        guard type == "table" else { throw fail("must return a plugin table {kind = ..., name = ..., ...}, returned \(type)") }
        var fields: [String: LuaValue] = [:]
        for (k, v) in try vm.entries(of: table) {
            guard case .string(let key) = k else { throw fail("unknown field '(\(k.typeName) key)' in the plugin table") }
            fields[key] = v
        }
        guard case .string(let kindName)? = fields["kind"], let kind = PluginKind(rawValue: kindName) else {
            let got = fields["kind"].map { if case .string(let s) = $0 { return "\"\(s)\"" } else { return $0.typeName } } ?? "nil"
            throw fail("wrong kind: 'kind' must be one of \(PluginKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \(got)")
        }
        guard case .string(let name)? = fields["name"] else { throw fail("'name' must be a string, got \(fields["name"]?.typeName ?? "nil")") }
        guard isIdentifier(name) else { throw fail("'name' must be an identifier (letters, digits, _), got \"\(name)\"") }

        var doc = ""
        switch fields["doc"] {
        case nil: break
        case .string(let d)?: doc = d
        case let v?: throw fail("'doc' must be a string, got \(v.typeName)")
        }

        let fns = functions[kind]!
        for f in fns.required {
            guard let v = fields[f] else { throw fail("\(kind.rawValue) '\(name)' has no '\(f)' function") }
            guard v.typeName == "function" else { throw fail("'\(f)' must be a function, got \(v.typeName)") }
        }
        for f in fns.optional {
            if let v = fields[f], v.typeName != "function" { throw fail("'\(f)' must be a function, got \(v.typeName)") }
        }

        if kind == .optimizer {
            let ways = ["update", "step", "build"].filter { fields[$0] != nil }
            guard ways.count == 1 else {
                throw fail("optimizer '\(name)' must have exactly one of 'update' (per parameter), 'step' (whole step) or 'build' (a composed optimizer), has \(ways.isEmpty ? "none" : ways.joined(separator: " and "))")
            }
            if ways == ["build"], fields["init"] != nil { throw fail("optimizer '\(name)': 'init' has no use with 'build'") }
        }
        let defaults = try readDefaults(fields["defaults"], fail)
        let known = Set(common + fns.required + fns.optional)
        for key in fields.keys.sorted() where !known.contains(key) {
            throw fail("unknown field '\(key)' in \(kind.rawValue) '\(name)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var plugin = Plugin(kind: kind, name: name, origin: origin, doc: doc, defaults: defaults, table: table)
        plugin.sha256 = SHA256.hex(source.utf8)
        return plugin
    }

    /// `defaults`: a table of numbers, booleans, strings or lists of numbers, in sorted key order.
    static func readDefaults(_ value: LuaValue?, _ fail: (String) -> PluginFileError) throws -> [(String, HyperValue)] {
        var out: [(String, HyperValue)] = []
        switch value {
        case nil: return []
        case .array(let a)? where a.isEmpty: return []
        case .table(let entries)?:
            for key in entries.keys.sorted() {
                guard isIdentifier(key) else { throw fail("default '\(key)' must have an identifier as its name") }
                guard let v = HyperMarshal.hyper(entries[key]!) else {
                    throw fail("default '\(key)' must be a number, boolean, string or list of numbers, got \(entries[key]!)")
                }
                if case .number(let d) = v, !d.isFinite { throw fail("default '\(key)' must be finite, got \(d)") }
                out.append((key, v))
            }
        case .array?: throw fail("'defaults' must map names to values, got an array")
        case let v?: throw fail("'defaults' must be a table, got \(v.typeName)")
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
