import DescentCore
import DescentHost
import Foundation

/// The named optimizers, schedules, datasets and models of one Lua VM: the natives, the Lua
/// plugins built into the binary, then the Lua plugin files of the search path (`DESCENT_PATH`,
/// `--plugins`) — never anything else, and never the current directory. The VM's `optim.new`,
/// `schedule.new` and `list()` functions go through it.
///
/// The registry owns its VM (Lua plugin objects hold the VM weakly, and the VM holds the
/// registry weakly): keep the registry for as long as plugins are used.
public final class PluginRegistry: ObjectCatalog {
    public private(set) var plugins: [Plugin] = []
    /// Problems found while loading: bad files (skipped) and overrides, one line each.
    public private(set) var diagnostics: [String] = []
    public let vm: LuaVM

    /// A VM with the scripting API, the natives, the bundled plugins, then every directory of
    /// `searchPath` in order.
    public init(searchPath: [String]) throws {
        vm = LuaVM()
        NativeEntries.all.forEach(register)
        for library: LuaLibrary in [TensorLibrary(), OptimLibrary(catalog: self, retained: false), KernelLibrary(), REPLLibrary(), DescentModule()] {
            try vm.open(library)
        }
        for (path, source) in embeddedLua {
            do {
                register(try PluginFile.load(source: source, origin: .bundled(path), into: vm))
            } catch let e as LuaError where e.isInterrupt {
                throw e
            } catch {
                diagnostics.append("error: \(error) (skipped)")
            }
        }
        for dir in searchPath { try load(directory: dir) }
    }

    /// Adds a native plugin (datasets and models register themselves this way).
    public func register(_ plugin: Plugin) {
        plugins.removeAll { $0.kind == plugin.kind && $0.name == plugin.name }
        plugins.append(plugin)
    }

    public func plugin(_ kind: PluginKind, _ name: String) -> Plugin? {
        plugins.first { $0.kind == kind && $0.name == name }
    }

    public func names(_ kind: PluginKind) -> [String] {
        plugins.filter { $0.kind == kind }.map(\.name)
    }

    /// Every `*.lua` file of `directory`, in name order. Within one directory a name may appear
    /// once; a later directory overrides an earlier one (with a warning naming both files).
    /// Ctrl-C while a file loads (one that loops, say) stops the loading: it throws.
    func load(directory: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            diagnostics.append("warning: plugin directory \(directory) does not exist")
            return
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".lua") }.sorted()
        var seen: [String: String] = [:]
        for file in files {
            let path = Self.display((directory as NSString).appendingPathComponent(file))
            let p: Plugin
            do {
                p = try PluginFile.load(path, into: vm)
            } catch let e as LuaError where e.isInterrupt {
                throw e
            } catch {
                diagnostics.append("error: \(error) (skipped)")
                continue
            }
            let key = "\(p.kind.rawValue) \(p.name)"
            if let first = seen[key] {
                diagnostics.append("error: \(path): duplicate \(p.kind.rawValue) name '\(p.name)', already defined by \(first) in the same directory (skipped)")
                continue
            }
            seen[key] = path
            if let old = plugin(p.kind, p.name) {
                diagnostics.append("warning: \(p.kind.rawValue) '\(p.name)' from \(path) overrides the one from \(old.origin)")
            }
            register(p)
        }
    }

    public func makeOptimizer(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Optimizer {
        guard let p = plugin(.optimizer, name) else {
            throw NativeOptimizers.unknown(name, known: names(.optimizer))
        }
        if case .optimizer(let make)? = p.builder { return try make(overrides) }
        let (vm, table) = try p.lua()
        guard try vm.fieldType(table, "build") == "function" else { return try LuaOptimizer(p, overrides: overrides) }
        // A composed optimizer: `build(hyper)` returns it (optim.chain{...}, optim.lookahead(...)).
        let hyper = try p.hyperparameters(overrides)
        let result: (value: LuaValue, object: AnyObject?)
        do {
            result = try vm.callForObjects(table, "build", [.value(HyperMarshal.lua(hyper))], results: 1, as: AnyObject.self)[0]
        } catch {
            throw ContextError(p.place("build"), error)
        }
        guard let built = result.object as? Optimizer else { throw DescentError(p.place("build"), "must return an optimizer (optim.chain{...}, optim.new(...)), returned \(result.value)") }
        return built
    }

    public func makeTransform(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> GradientTransform {
        guard let p = plugin(.transform, name) else {
            throw DescentError("optim.transform", "unknown transform '\(name)' (known: \(names(.transform).joined(separator: ", ")))")
        }
        return try LuaTransform(p, overrides: overrides)
    }

    public func makeSchedule(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Schedule {
        guard let p = plugin(.schedule, name) else {
            throw DescentError("schedule.new", "unknown schedule '\(name)' (known: \(names(.schedule).joined(separator: ", ")))")
        }
        if case .schedule(let make)? = p.builder { return try make(overrides) }
        return try LuaSchedule(p, overrides: overrides)
    }

    /// The model `name` builds for a run (a Lua model plugin builds a classifier).
    public func makeModel(_ name: String, _ request: ModelRequest) throws -> TrainableModel {
        let p = try entry(.model, name)
        if case .model(let build)? = p.builder { return try build(ModelRequest(args: try merged(p, request.args), input: request.input,
                                                                               classes: request.classes, detection: request.detection, seed: request.seed)) }
        guard !request.detection else { throw DescentError("model '\(name)'", "Lua models are classifiers; the dataset gives boxes") }
        let module = try LuaBuilders.model(p, args: request.args, input: request.input, classes: request.classes)
        return TrainableModel(module: module, criterion: CrossEntropy(), task: .classification)
    }

    /// The train and validation sets of dataset `name` for a run.
    public func makeDataset(_ name: String, _ request: DatasetRequest) throws -> (train: Dataset, val: Dataset) {
        let p = try entry(.dataset, name)
        if case .dataset(let build)? = p.builder { return try build(DatasetRequest(args: try merged(p, request.args), size: request.size, seed: request.seed)) }
        return (try LuaBuilders.dataset(p, args: request.args, split: "train"), try LuaBuilders.dataset(p, args: request.args, split: "val"))
    }

    private func entry(_ kind: PluginKind, _ name: String) throws -> Plugin {
        guard let p = plugin(kind, name) else {
            throw DescentError(kind.rawValue, "unknown \(kind.rawValue) '\(name)' (known: \(names(kind).joined(separator: ", ")))")
        }
        return p
    }

    /// A native entry's defaults with `args` over them; a key it does not have is an error.
    private func merged(_ p: Plugin, _ args: [String: LuaValue]) throws -> [String: LuaValue] {
        var out = Dictionary(uniqueKeysWithValues: p.defaults.map { ($0.0, HyperMarshal.lua($0.1)) })
        for (k, v) in args {
            guard out[k] != nil else {
                throw DescentError("\(p.kind.rawValue) '\(p.name)'", "unknown argument '\(k)' (known: \(out.keys.sorted().joined(separator: ", ")))")
            }
            out[k] = v
        }
        return out
    }

    public var optimizerNames: [String] { names(.optimizer) }
    public var scheduleNames: [String] { names(.schedule) }

    /// A registry for the search path (plus `extra` directories); loading problems are passed
    /// to `report`, one line each.
    public static func boot(extra: [String] = [], report: (String) -> Void) throws -> PluginRegistry {
        let registry = try PluginRegistry(searchPath: searchPath(extra: extra))
        registry.diagnostics.forEach(report)
        return registry
    }

    // MARK: The search path

    /// `path` relative to the working directory when it lies below it: shorter in listings and
    /// in Lua's file:line messages (which truncate long chunk names).
    static func display(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// The user's plugin directories: `DESCENT_PATH` (colon-separated), then `extra` (`--plugins
    /// DIR`, in order). The bundled plugins are inside the binary.
    public static func searchPath(extra: [String] = []) -> [String] {
        let env = ProcessInfo.processInfo.environment["DESCENT_PATH"] ?? ""
        return env.split(separator: ":").map(String.init).filter { !$0.isEmpty } + extra
    }
}
