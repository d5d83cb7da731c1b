import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// Everything one training run is made of, resolved: the experiment's settings with the run's
/// overrides applied. Two runs of a study differ only where their `RunSpec`s differ.
public struct RunSpec: Equatable {
    public var experiment: String
    public var name: String
    public var model = "detector"
    public var modelArgs: [String: Double] = [:]
    public var dataset = "street_scenes"
    public var datasetArgs: [String: LuaValue] = [:]
    /// Square input side for synthetic datasets.
    public var size = 64
    public var steps = 300
    public var batch = 16
    public var seed = 1
    public var optimizer = "adam"
    public var hyper: [String: HyperValue] = [:]
    public var schedule: String? = nil
    public var scheduleArgs: [String: HyperValue] = [:]
    public var augment = Augmentation()
    public var evalEvery = 100
    /// Loss level for "steps to threshold" (on the smoothed loss).
    public var threshold = 1.0
    /// Parameter groups: a Lua pattern on parameter names (`bias$`) and the hyperparameters
    /// the group sets (`optim.new(name, hyper, {groups = ...})`).
    public var groups: [GroupSpec] = []

    public struct GroupSpec: Equatable {
        public var match: String
        public var hyper: [String: HyperValue]
    }
    /// Evaluate with the optimizer's weight averages (`optim.ema` in a chain) instead of the live weights.
    public var evalAveraged = false
    /// Polyak averaging of the weights with this decay (`optim.ema`), evaluated with the
    /// averages (TF OD API's `use_moving_average`).
    public var ema: Double? = nil
    /// Steps between checkpoints (0: only when stopped and at the end); nil: at every
    /// evaluation, or every tenth of the run when there is none.
    public var checkpointEvery: Int? = nil

    /// The checkpoint interval in effect.
    var checkpointInterval: Int {
        checkpointEvery ?? (evalEvery > 0 ? evalEvery : max(1, steps / 10))
    }

    /// Keys a run (or an experiment) may set; anything else is a spelling mistake.
    static let keys: Set<String> = ["name", "model", "model_args", "dataset", "dataset_args", "size", "steps", "batch", "seed",
                                    "optimizer", "hyper", "schedule", "schedule_args", "augment", "eval_every", "threshold",
                                    "checkpoint_every", "groups", "eval_averaged", "ema"]

    /// Applies the fields of a Lua table (experiment defaults or a run's overrides).
    mutating func apply(_ t: [String: LuaValue], context: String) throws {
        func fail(_ m: String) -> DescentError { DescentError(context, m) }
        func int(_ k: String, min lo: Int, max hi: Int = 1 << 31) throws -> Int? {
            guard let v = t[k] else { return nil }
            guard let d = v.number?.exactInteger(in: lo...hi) else { throw fail("\(k) must be an integer from \(lo) to \(hi), got \(v)") }
            return d
        }
        func string(_ k: String) throws -> String? {
            guard let v = t[k] else { return nil }
            guard case .string(let s) = v else { throw fail("\(k) must be a name (string), got \(v)") }
            return s
        }
        func table(_ k: String) throws -> [String: LuaValue]? {
            switch t[k] {
            case nil: return nil
            case .table(let d)?: return d
            case .array(let a)? where a.isEmpty: return [:]
            case let v?: throw fail("\(k) must be a table of named values, got \(v)")
            }
        }
        func hypers(_ k: String) throws -> [String: HyperValue]? {
            try table(k).map { d in
                try d.mapValues { v in
                    guard let h = HyperMarshal.hyper(v) else { throw fail("\(k): number, boolean, string or list expected, got \(v)") }
                    return h
                }
            }
        }
        for k in t.keys where !Self.keys.contains(k) {
            throw fail("unknown field '\(k)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        if let v = try string("name") { name = v }
        // A new model or dataset starts from its own defaults, not the previous one's arguments.
        if let v = try string("model") { model = v; modelArgs = [:] }
        if let v = try table("model_args") {
            for (k, x) in v {
                guard let d = x.number else { throw fail("model_args.\(k) must be a number, got \(x)") }
                modelArgs[k] = d
            }
        }
        if let v = try string("dataset") { dataset = v; datasetArgs = [:] }
        if let v = try table("dataset_args") { datasetArgs.merge(v) { $1 } }
        if let v = try int("size", min: 1, max: 4096) { size = v }
        if let v = try int("steps", min: 1) { steps = v }
        if let v = try int("batch", min: 1, max: 1 << 20) { batch = v }
        if let v = try int("seed", min: 0, max: Int(Int32.max)) { seed = v }
        if let v = try string("optimizer") { optimizer = v; hyper = [:] }
        if let v = try hypers("hyper") { hyper.merge(v) { $1 } }
        if let v = t["schedule"] {
            switch v {
            case .string(let s): schedule = s; scheduleArgs = [:]
            case .bool(false): schedule = nil; scheduleArgs = [:]
            default: throw fail("schedule must be a name or false, got \(v)")
            }
        }
        if let v = try hypers("schedule_args") { scheduleArgs.merge(v) { $1 } }
        if let v = try table("augment") {
            var a = augment
            for (k, x) in v {
                guard let d = x.number else { throw fail("augment.\(k) must be a number, got \(x)") }
                switch k {
                case "flip": a.flip = d
                case "jitter": a.jitter = d
                case "brightness": a.brightness = d
                case "contrast": a.contrast = d
                default: throw fail("unknown augmentation '\(k)' (known: brightness, contrast, flip, jitter)")
                }
            }
            do { try a.validate() } catch let e as DescentError { throw fail("augment: \(e.message)") }
            augment = a
        }
        if let v = try int("eval_every", min: 0) { evalEvery = v }
        if let v = try int("checkpoint_every", min: 0) { checkpointEvery = v }
        if let v = t["ema"] {
            switch v {
            case .bool(false): ema = nil
            default:
                guard let d = v.number, d >= 0, d < 1 else { throw fail("ema must be a decay in [0, 1) or false, got \(v)") }
                ema = d
            }
        }
        if let v = t["eval_averaged"] {
            guard case .bool(let b) = v else { throw fail("eval_averaged must be true or false, got \(v)") }
            evalAveraged = b
        }
        if let v = t["groups"] {
            let list: [LuaValue]
            switch v {
            case .array(let a): list = a
            case .table(let d) where d.isEmpty: list = []
            default: throw fail("groups must be a list of {match = PATTERN, <hyperparameters>} tables, got \(v)")
            }
            groups = try list.enumerated().map { i, g in
                guard case .table(var d) = g, case .string(let pattern)? = d.removeValue(forKey: "match") else {
                    throw fail("groups[\(i + 1)] must be a table with match = a Lua pattern on parameter names (functions are for scripts, not studies), got \(g)")
                }
                return GroupSpec(match: pattern, hyper: try d.mapValues { x in
                    guard let h = HyperMarshal.hyper(x) else { throw fail("groups[\(i + 1)]: number, boolean, string or list expected, got \(x)") }
                    return h
                })
            }
        }
        if let v = t["threshold"] {
            guard let d = v.number, d.isFinite else { throw fail("threshold must be a number, got \(v)") }
            threshold = d
        }
    }

    /// The resolved configuration, for config.json.
    var json: [String: Any] {
        let plain = RunFiles.plain as ([String: HyperValue]) -> [String: Any]
        func lua(_ v: LuaValue) -> Any {
            switch v {
            case .bool(let b): return b
            case .integer(let i): return i
            case .number(let d): return d
            case .string(let s): return s
            case .array(let a): return a.map(lua)
            case .table(let t): return t.mapValues(lua)
            default: return "\(v)"
            }
        }
        return [
            "experiment": experiment, "run": name, "model": model, "model_args": modelArgs, "dataset": dataset,
            "dataset_args": datasetArgs.mapValues(lua), "size": size, "steps": steps, "batch": batch, "seed": seed,
            "optimizer": optimizer, "hyper": plain(hyper), "schedule": schedule ?? NSNull(), "schedule_args": plain(scheduleArgs),
            "augment": ["flip": augment.flip, "jitter": augment.jitter, "brightness": augment.brightness, "contrast": augment.contrast],
            "eval_every": evalEvery, "threshold": threshold, "checkpoint_every": checkpointInterval,
            "groups": groups.map { ["match": $0.match, "hyper": plain($0.hyper)] as [String: Any] }, "eval_averaged": evalAveraged, "ema": ema ?? NSNull(),
        ]
    }

    /// What decides a run's results: the resolved settings (not its name, nor how often it is
    /// checkpointed) and the source hash of each Lua plugin it uses. Equal hashes mean a
    /// finished run need not train again.
    func configuration(registry: PluginRegistry) -> (plugins: [String: Any], hash: String) {
        var plugins: [String: Any] = [:]
        for (kind, name) in [(PluginKind.optimizer, optimizer), (.schedule, schedule), (.model, model), (.dataset, dataset)] {
            guard let name, let p = registry.plugin(kind, name) else { continue }
            var entry: [String: Any] = ["name": name, "origin": p.origin.description]
            entry["sha256"] = p.sha256
            plugins[kind.rawValue] = entry
        }
        var identity = json
        for k in ["run", "experiment", "checkpoint_every"] { identity[k] = nil }
        identity["plugins"] = plugins.mapValues { ($0 as! [String: Any]).filter { $0.key != "origin" } }
        let bytes = (try? JSONSerialization.data(withJSONObject: identity, options: [.sortedKeys])) ?? Data()
        return (plugins, SHA256.hex(bytes))
    }
}
