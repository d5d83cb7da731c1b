import DescentCore
import DescentHost
import Foundation

/// The named optimizers, schedules, datasets and models of one Lua VM: the natives, then the
/// Lua plugin files found on the search path. Installing it into the VM makes `optim.new`,
/// `schedule.new` and the `list()` functions see both.
///
/// The registry owns its VM (Lua plugin objects hold the VM weakly, and the VM holds the
/// registry weakly): keep the registry for as long as plugins are used.
public final class PluginRegistry {
    public private(set) var plugins: [Plugin] = []
    /// Problems found while loading: bad files (skipped) and overrides, one line each.
    public private(set) var diagnostics: [String] = []
    public let vm: LuaVM

    /// Registers the natives and loads every directory of `searchPath` in order.
    public init(vm: LuaVM, searchPath: [String]) {
        self.vm = vm
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
        if p.table == nil { return try NativeOptimizers.make(name, overrides) }
        return try LuaOptimizer(p, overrides: overrides)
    }

    public func makeSchedule(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Schedule {
        guard let p = plugin(.schedule, name) else {
            throw DescentError("schedule.new", "unknown schedule '\(name)' (known: \(names(.schedule).joined(separator: ", ")))")
        }
        if p.table == nil { return try NativeSchedules.make(name, overrides) }
        return try LuaSchedule(p, overrides: overrides)
    }

    /// Makes `optim.new`, `schedule.new` and their `list()` go through this registry.
    public func install() {
        vm.optimizerFactory = { [weak self] name, hyper in
            guard let self else { return try NativeOptimizers.make(name, hyper) }
            return try makeOptimizer(name, hyper)
        }
        vm.scheduleFactory = { [weak self] name, hyper in
            guard let self else { return try NativeSchedules.make(name, hyper) }
            return try makeSchedule(name, hyper)
        }
        vm.optimizerNames = { [weak self] in self?.names(.optimizer) ?? NativeOptimizers.all.map(\.name) }
        vm.scheduleNames = { [weak self] in self?.names(.schedule) ?? NativeSchedules.all.map(\.name) }
    }

    /// A VM with the scripting API and every plugin of the search path (plus `extra`
    /// directories) installed; loading problems are passed to `report`, one line each.
    public static func boot(extra: [String] = [], report: (String) -> Void) -> PluginRegistry {
        let registry = PluginRegistry(vm: LuaVM(), searchPath: searchPath(extra: extra))
        registry.install()
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

    /// Shipped plugin directories, then `DESCENT_PATH` (colon-separated), then `extra`
    /// (`--plugins DIR`, in order).
    public static func searchPath(extra: [String] = []) -> [String] {
        var dirs: [String] = []
        if let scripts = shippedScripts() {
            dirs += ["optimizers", "schedules"].map { (scripts as NSString).appendingPathComponent($0) }
        }
        if let env = ProcessInfo.processInfo.environment["DESCENT_PATH"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        return dirs + extra
    }

    /// The shipped `scripts/` directory: `$DESCENT_HOME/scripts`, else the nearest `scripts/`
    /// above the executable (a build tree or an install prefix), else `./scripts`.
    public static func shippedScripts() -> String? {
        let fm = FileManager.default
        func isScripts(_ dir: String) -> Bool { fm.fileExists(atPath: (dir as NSString).appendingPathComponent("optimizers")) }
        if let home = ProcessInfo.processInfo.environment["DESCENT_HOME"] {
            let s = (home as NSString).appendingPathComponent("scripts")
            return isScripts(s) ? s : nil
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let s = dir.appendingPathComponent("scripts").path
            if isScripts(s) { return s }
            for share in ["share/descent/scripts"] where isScripts(dir.appendingPathComponent(share).path) {
                return dir.appendingPathComponent(share).path
            }
            dir.deleteLastPathComponent()
        }
        let cwd = (fm.currentDirectoryPath as NSString).appendingPathComponent("scripts")
        return isScripts(cwd) ? cwd : nil
    }
}
