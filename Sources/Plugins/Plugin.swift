import CLua
import DescentCore
import DescentHost

/// What a plugin provides.
public enum PluginKind: String, CaseIterable {
    case optimizer, schedule, dataset, model
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

    /// `defaults` merged with the caller's values (an unknown key is an error listing the known).
    func hyperparameters(_ overrides: [(String, HyperValue)]) throws -> Hyperparameters {
        var h = Hyperparameters(owner: name, defaults: defaults)
        try h.merge(overrides)
        return h
    }

    /// Pushes the Lua plugin's `function` (nil when the table has none) and returns the VM and
    /// where the function is defined, "lion.update (scripts/optimizers/lion.lua:12)", for errors.
    func pushFunction(_ function: String) throws -> (vm: LuaVM, place: String) {
        let vm = try table!.push(name)
        lua_getfield(vm.L, -1, function)
        let place = "\(name).\(function) (\(origin):\(descent_linedefined(vm.L, -1)))"
        lua_rotate(vm.L, -2, -1)
        descent_pop(vm.L, 1)
        return (vm, place)
    }

    /// The first line of `doc`, for listings.
    public var summary: String { String(doc.split(separator: "\n", maxSplits: 1).first ?? "") }
}
