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
        for e in NativeOptimizers.all {
            let defaults = (try? e.make([]))?.hyper.pairs ?? []
            plugins.append(Plugin(kind: .optimizer, name: e.name, origin: .native, doc: e.doc, defaults: defaults, table: nil))
        }
        for e in NativeSchedules.all {
            let defaults = (try? e.make([]))?.hyper.pairs ?? []
            plugins.append(Plugin(kind: .schedule, name: e.name, origin: .native, doc: e.doc, defaults: defaults, table: nil))
        }
        for (kind, name, doc, defaults) in Self.nativeDataAndModels {
            plugins.append(Plugin(kind: kind, name: name, origin: .native, doc: doc, defaults: defaults, table: nil))
        }
        for library: LuaLibrary in [TensorLibrary(), OptimLibrary(catalog: self, retained: false), KernelLibrary(), REPLLibrary(), DescentModule()] {
            try vm.open(library)
        }
        for (path, source) in embeddedLua {
            do {
                register(try PluginFile.load(source: source, origin: .bundled(path), into: vm))
            } catch {
                diagnostics.append("error: \(error) (skipped)")
            }
        }
        for dir in searchPath { load(directory: dir) }
    }

    /// The native datasets and models experiments know by name (their arguments go in
    /// `dataset_args` / `model_args`; the synthetic sets take their image side from `size`).
    static let nativeDataAndModels: [(PluginKind, String, String, [(String, HyperValue)])] = [
        (.dataset, "street_scenes", "Synthetic street scenes: cars and pedestrians with boxes (detection), 0-6 objects, size >= 32",
         [("train", .number(1024)), ("val", .number(128))]),
        (.dataset, "shapes", "Synthetic shapes (circle, square, triangle, cross, ring) with noise (classification)",
         [("train", .number(2048)), ("val", .number(256))]),
        (.dataset, "idx", "MNIST-format IDX files: images, labels, val_images, val_labels (paths)",
         [("images", .string("")), ("labels", .string("")), ("val_images", .string("")), ("val_labels", .string(""))]),
        (.dataset, "cifar10", "CIFAR-10 binary batches: files, val_files (a path or a list of paths)", [("files", .string("")), ("val_files", .string(""))]),
        (.dataset, "npy", "Images [N,C,H,W] and labels [N] as .npy pairs: images, labels, val_images, val_labels",
         [("images", .string("")), ("labels", .string("")), ("val_images", .string("")), ("val_labels", .string(""))]),
        (.model, "cnn", "Small classifier: depth blocks of Conv3x3-BN-ReLU-MaxPool doubling width, global average pool, linear",
         [("width", .number(16)), ("depth", .number(3))]),
        (.model, "detector", "Small single-shot detector: stride-2 Conv-BN-SiLU stages to a size/8 grid, focal loss + smooth L1, NMS, mAP@0.5",
         [("width", .number(16)), ("depth", .number(1))]),
    ]

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
    func load(directory: String) {
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
            throw DescentError("optim.new", "unknown optimizer '\(name)' (known: \(names(.optimizer).joined(separator: ", ")))")
        }
        if p.origin == .native { return try NativeOptimizers.make(name, overrides) }
        return try LuaOptimizer(p, overrides: overrides)
    }

    public func makeSchedule(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Schedule {
        guard let p = plugin(.schedule, name) else {
            throw DescentError("schedule.new", "unknown schedule '\(name)' (known: \(names(.schedule).joined(separator: ", ")))")
        }
        if p.origin == .native { return try NativeSchedules.make(name, overrides) }
        return try LuaSchedule(p, overrides: overrides)
    }

    /// The classifier a Lua model plugin builds for `input` ([C, H, W]) and `classes`.
    public func makeModel(_ name: String, args: [String: LuaValue], input: [Int], classes: Int) throws -> Module {
        guard let p = plugin(.model, name), p.origin != .native else {
            throw DescentError("model", "unknown model '\(name)' (known: \(names(.model).joined(separator: ", ")))")
        }
        return try LuaBuilders.model(p, args: args, input: input, classes: classes)
    }

    /// The `split` ("train" or "val") a Lua dataset plugin loads.
    public func makeDataset(_ name: String, args: [String: LuaValue], split: String) throws -> Dataset {
        guard let p = plugin(.dataset, name), p.origin != .native else {
            throw DescentError("dataset", "unknown dataset '\(name)' (known: \(names(.dataset).joined(separator: ", ")))")
        }
        return try LuaBuilders.dataset(p, args: args, split: split)
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
