import DescentCore
import DescentHost
import Foundation

/// One field a study's `experiment{...}`, `run{...}` or `sweep{...}` may set: its key, how a Lua
/// value is checked and stored into a `RunSpec`, and its value in config.json. The list below is
/// the only place a field is declared: `RunSpec.keys`, `RunSpec.apply`, `RunSpec.json` and the
/// Lua DSL's field list (`experiment.lua`) are derived from it.
struct StudyField {
    let key: String
    /// The key in config.json (`name` is stored as `run`).
    let jsonKey: String
    let apply: (inout RunSpec, LuaValue, FieldReader) throws -> Void
    /// nil: not written (a field absent from config.json does not change the configuration hash).
    let value: (RunSpec) -> Any?

    init(_ key: String, jsonKey: String? = nil, apply: @escaping (inout RunSpec, LuaValue, FieldReader) throws -> Void,
         value: @escaping (RunSpec) -> Any?) {
        self.key = key
        self.jsonKey = jsonKey ?? key
        self.apply = apply
        self.value = value
    }
}

/// Reads one field's Lua value, failing with a message that names the field and the context.
struct FieldReader {
    let key: String
    let context: String

    func fail(_ message: String) -> DescentError { DescentError(context, message) }

    func integer(_ v: LuaValue, min lo: Int, max hi: Int = 1 << 31) throws -> Int {
        guard let d = v.number?.exactInteger(in: lo...hi) else { throw fail("\(key) must be an integer from \(lo) to \(hi), got \(v)") }
        return d
    }

    /// `seeds = N` (seeds 1 to N) or a list of distinct seeds; `false`: none.
    func seeds(_ v: LuaValue) throws -> [Int]? {
        let list: [Int]
        switch v {
        case .bool(false): return nil
        case .array(let a) where !a.isEmpty:
            guard a.count <= 1000 else { throw fail("\(key) lists \(a.count) seeds; at most 1000") }
            list = try a.map { x in
                guard let s = x.number?.exactInteger(in: 0...Int(Int32.max)) else { throw fail("\(key) must list integers from 0 to \(Int32.max), got \(x)") }
                return s
            }
        default:
            guard v.number != nil else { throw fail("\(key) must be a count of seeds (1 to 1000) or a list of seeds, got \(v)") }
            list = Array(1...(try integer(v, min: 1, max: 1000)))
        }
        guard Set(list).count == list.count else { throw fail("\(key) lists a seed twice: \(list.map(String.init).joined(separator: ", "))") }
        return list
    }

    func name(_ v: LuaValue) throws -> String {
        guard case .string(let s) = v else { throw fail("\(key) must be a name (string), got \(v)") }
        return s
    }

    func table(_ v: LuaValue) throws -> [String: LuaValue] {
        switch v {
        case .table(let d): return d
        case .array(let a) where a.isEmpty: return [:]
        default: throw fail("\(key) must be a table of named values, got \(v)")
        }
    }

    func numbers(_ v: LuaValue) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, x) in try table(v) {
            guard let d = x.number else { throw fail("\(key).\(k) must be a number, got \(x)") }
            out[k] = d
        }
        return out
    }

    func hypers(_ v: LuaValue) throws -> [String: HyperValue] {
        try table(v).mapValues { x in
            guard let h = HyperMarshal.hyper(x) else { throw fail("\(key): number, boolean, string or list expected, got \(x)") }
            return h
        }
    }
}

extension RunSpec {
    /// Every study field, in the order they apply: a model, dataset, optimizer or schedule is
    /// set before its arguments, since naming a new one starts from its own defaults.
    static let fields: [StudyField] = [
        StudyField("name", jsonKey: "run", apply: { s, v, r in s.name = try r.name(v) }, value: { $0.name }),
        StudyField("model", apply: { s, v, r in s.model = try r.name(v); s.modelArgs = [:] }, value: { $0.model }),
        StudyField("model_args", apply: { s, v, r in s.modelArgs.merge(try r.numbers(v)) { $1 } }, value: { $0.modelArgs }),
        StudyField("dataset", apply: { s, v, r in s.dataset = try r.name(v); s.datasetArgs = [:] }, value: { $0.dataset }),
        StudyField("dataset_args", apply: { s, v, r in s.datasetArgs.merge(try r.table(v)) { $1 } }, value: { $0.datasetArgs.mapValues(plainJSON) }),
        StudyField("size", apply: { s, v, r in s.size = try r.integer(v, min: 1, max: 4096); s.sizeGiven = true }, value: { $0.size }),
        StudyField("steps", apply: { s, v, r in s.steps = try r.integer(v, min: 1) }, value: { $0.steps }),
        StudyField("batch", apply: { s, v, r in s.batch = try r.integer(v, min: 1, max: 1 << 20) }, value: { $0.batch }),
        // Naming one seed trains that seed, also where the experiment gave `seeds`.
        StudyField("seed", apply: { s, v, r in s.seed = try r.integer(v, min: 0, max: Int(Int32.max)); s.seeds = nil }, value: { $0.seed }),
        StudyField("seeds", apply: { s, v, r in s.seeds = try r.seeds(v) }, value: { $0.seeds }),
        StudyField("optimizer", apply: { s, v, r in s.optimizer = try r.name(v); s.hyper = [:] }, value: { $0.optimizer }),
        StudyField("hyper", apply: { s, v, r in s.hyper.merge(try r.hypers(v)) { $1 } }, value: { RunFiles.plain($0.hyper) }),
        StudyField("schedule", apply: { s, v, r in
            switch v {
            case .string(let name): s.schedule = name
            case .bool(false): s.schedule = nil
            default: throw r.fail("schedule must be a name or false, got \(v)")
            }
            s.scheduleArgs = [:]
        }, value: { $0.schedule ?? NSNull() }),
        StudyField("schedule_args", apply: { s, v, r in s.scheduleArgs.merge(try r.hypers(v)) { $1 } }, value: { RunFiles.plain($0.scheduleArgs) }),
        StudyField("augment", apply: { s, v, r in
            var a = s.augment
            for (k, x) in try r.table(v) {
                guard let d = x.number else { throw r.fail("augment.\(k) must be a number, got \(x)") }
                guard let field = Augmentation.fields[k] else {
                    throw r.fail("unknown augmentation '\(k)' (known: \(Augmentation.fields.keys.sorted().joined(separator: ", ")))")
                }
                a[keyPath: field] = d
            }
            do { try a.validate() } catch let e as DescentError { throw r.fail("augment: \(e.message)") }
            s.augment = a
        }, value: { s in Augmentation.fields.mapValues { s.augment[keyPath: $0] } }),
        StudyField("eval_every", apply: { s, v, r in s.evalEvery = try r.integer(v, min: 0) }, value: { $0.evalEvery }),
        StudyField("threshold", apply: { s, v, r in
            guard let d = v.number, d.isFinite else { throw r.fail("threshold must be a number, got \(v)") }
            s.threshold = d
        }, value: { $0.threshold }),
        StudyField("checkpoint_every", apply: { s, v, r in s.checkpointEvery = try r.integer(v, min: 0) }, value: { $0.checkpointInterval }),
        StudyField("groups", apply: { s, v, r in s.groups = try GroupSpec.list(v, r) },
                   value: { $0.groups.map { ["match": $0.match, "hyper": RunFiles.plain($0.hyper)] as [String: Any] } }),
        StudyField("eval_averaged", apply: { s, v, r in
            guard case .bool(let b) = v else { throw r.fail("eval_averaged must be true or false, got \(v)") }
            s.evalAveraged = b
        }, value: { $0.evalAveraged }),
        // `ema = 0.9999`, `ema = {decay = 0.9999, dynamic = true}` or `ema = false`.
        StudyField("ema", apply: { s, v, r in
            if case .bool(false) = v { (s.ema, s.emaDynamic) = (nil, false); return }
            var decay = v, dynamic = false
            if case .table(let t) = v {
                for k in t.keys where k != "decay" && k != "dynamic" { throw r.fail("ema: unknown field '\(k)' (known: decay, dynamic)") }
                decay = t["decay"] ?? .nil
                switch t["dynamic"] {
                case nil: break
                case .bool(let b)?: dynamic = b
                case let x?: throw r.fail("ema.dynamic must be true or false, got \(x)")
                }
            }
            guard let d = decay.number, d >= 0, d < 1 else { throw r.fail("ema must be a decay in [0, 1), {decay = d, dynamic = true} or false, got \(v)") }
            (s.ema, s.emaDynamic) = (d, dynamic)
        }, value: { s in
            guard let d = s.ema else { return NSNull() }
            return s.emaDynamic ? ["decay": d, "dynamic": true] as [String: Any] : d
        }),
    ]

    /// Keys a run (or an experiment) may set; anything else is a spelling mistake.
    static let keys: Set<String> = Set(fields.map(\.key))

    /// Applies the fields of a Lua table (experiment defaults or a run's overrides).
    mutating func apply(_ t: [String: LuaValue], context: String) throws {
        for k in t.keys where !Self.keys.contains(k) {
            throw DescentError(context, "unknown field '\(k)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        if t["seed"] != nil, t["seeds"] != nil { throw DescentError(context, "give seed (one run) or seeds (one run per seed), not both") }
        for field in Self.fields {
            if let v = t[field.key] { try field.apply(&self, v, FieldReader(key: field.key, context: context)) }
        }
    }

    /// The resolved configuration, for config.json.
    var json: [String: Any] {
        var out: [String: Any] = ["experiment": experiment]
        for field in Self.fields { out[field.jsonKey] = field.value(self) }
        out["setting"] = setting
        return out
    }
}

extension RunSpec.GroupSpec {
    /// `groups = {{match = PATTERN, <hyperparameters>}, ...}`.
    static func list(_ v: LuaValue, _ r: FieldReader) throws -> [RunSpec.GroupSpec] {
        let list: [LuaValue]
        switch v {
        case .array(let a): list = a
        case .table(let d) where d.isEmpty: list = []
        default: throw r.fail("groups must be a list of {match = PATTERN, <hyperparameters>} tables, got \(v)")
        }
        return try list.enumerated().map { i, g in
            guard case .table(var d) = g, case .string(let pattern)? = d.removeValue(forKey: "match") else {
                throw r.fail("groups[\(i + 1)] must be a table with match = a Lua pattern on parameter names (functions are for scripts, not studies), got \(g)")
            }
            return RunSpec.GroupSpec(match: pattern, hyper: try FieldReader(key: "groups[\(i + 1)]", context: r.context).hypers(.table(d)))
        }
    }
}

/// A Lua value as plain JSON (config.json).
private func plainJSON(_ v: LuaValue) -> Any {
    switch v {
    case .bool(let b): return b
    case .integer(let i): return i
    case .number(let d): return d
    case .string(let s): return s
    case .array(let a): return a.map(plainJSON)
    case .table(let t): return t.mapValues(plainJSON)
    default: return "\(v)"
    }
}
