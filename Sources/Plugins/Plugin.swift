import DescentCore
import DescentHost

/// What a plugin provides.
public enum PluginKind: String, CaseIterable {
    case optimizer, schedule, dataset, model, transform
}

/// A named, documented, parameterised piece that experiments refer to by name (docs/ARCHITECTURE.md,
/// Plugins): a native built-in or a Lua file.
public struct Plugin {
    public enum Origin: Equatable, CustomStringConvertible {
        case native
        /// Shipped inside the binary: the path of its source in the repository.
        case bundled(String)
        /// A file of `DESCENT_PATH` or `--plugins`.
        case file(String)

        public var description: String {
            switch self {
            case .native: return "native"
            case .bundled(let path): return "bundled:" + path
            case .file(let path): return path
            }
        }
    }

    public let kind: PluginKind
    public let name: String
    public let origin: Origin
    public let doc: String
    public let defaults: [(String, HyperValue)]
    /// The table a Lua plugin file returned.
    let table: LuaReference?
    /// SHA-256 of a Lua plugin's source (nil for natives): recorded with every run that uses
    /// it, so an edited plugin counts as a changed configuration.
    public internal(set) var sha256: String? = nil
    /// A native optimizer's update rule (`descent plugins show`).
    public internal(set) var equations: String? = nil
    /// A dataset's arguments for `--quick` smoke runs (a small training set), merged over the run's.
    public internal(set) var quickArgs: [String: LuaValue] = [:]
    /// How a native model or dataset is built (Lua ones build through `table`).
    var builder: PluginBuilder? = nil

    /// `defaults` merged with the caller's values (an unknown key is an error listing the known).
    func hyperparameters(_ overrides: [(String, HyperValue)]) throws -> Hyperparameters {
        var h = Hyperparameters(owner: name, defaults: defaults)
        try h.merge(overrides)
        return h
    }

    /// The VM and table of a Lua plugin.
    func lua() throws -> (vm: LuaVM, table: LuaReference) {
        guard let table else { throw DescentError(name, "a native \(kind.rawValue) has no Lua functions") }
        let vm = try table.push(name)
        vm.popValue()
        return (vm, table)
    }

    /// Where the Lua plugin's `function` is defined, "lion.update
    /// (bundled:scripts/optimizers/lion.lua:12)", for errors (only then: it asks Lua).
    func place(_ function: String) -> String {
        guard let (vm, table) = try? lua(), let line = try? vm.lineDefined(table, function) else { return "\(name).\(function)" }
        return "\(name).\(function) (\(origin):\(line))"
    }

    /// The first line of `doc`, for listings.
    public var summary: String { String(doc.split(separator: "\n", maxSplits: 1).first ?? "") }
}
