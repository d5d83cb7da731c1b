import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// The experiment layer of the scripting API: `experiment{...}`, `e:run{...}`, `e:sweep{...}`,
/// `e:go()`, and the globals `run{...}` / `sweep{...}` acting on the latest experiment.
///
/// Declaring runs only records them; `e:go()` executes the pending ones (all validated first)
/// and returns every result so far by run name, and the statistics of every setting by name
/// (a run declared with `seeds` is a setting of several runs) — so a study can pick the best of
/// a sweep and run it again. Whatever is still pending when the script ends runs then (`finish`).
public final class ExperimentAPI {
    public let runner: StudyRunner
    private var finisher: LuaReference?

    public init(registry: PluginRegistry, options: StudyOptions) throws {
        runner = StudyRunner(registry: registry, options: options)
        let vm = registry.vm
        // The Lua side (Lua/experiment.lua): declaration, sweeps (grids), and `go`; it receives
        // the Swift executor and the run fields, and returns the finisher.
        try vm.load(try EmbeddedLua.source("experiment.lua", in: embeddedLua), name: "=experiment.lua")
        // Weak: the VM must not keep the experiment layer (and through it the registry) alive.
        vm.pushFunction("experiment:go") { [weak self] vm, a in
            guard let self else { throw DescentError("experiment:go", "the experiment layer of this VM is gone") }
            let name = try a.string(1)
            guard case .table(let defaults) = vm.value(at: 2) else { throw a.fail(2, "experiment table expected") }
            var runs: [[String: LuaValue]] = []
            switch vm.value(at: 3) {
            case .array(let list):
                for (i, r) in list.enumerated() {
                    switch r {
                    case .table(let t): runs.append(t)
                    case .array(let x) where x.isEmpty: runs.append([:])
                    default: throw DescentError("experiment '\(name)'", "run \(i + 1): a table of settings expected, got \(r)")
                    }
                }
            case .table(let t) where t.isEmpty: break
            default: throw a.fail(3, "array of run tables expected")
            }
            // Argument 4: the Lua hook that dispatches to the runs' on_step functions (or nil).
            var hook: StudyRunner.StepHook? = nil
            if let dispatch = a.function(4) {
                hook = { index, run, record, model, optimizer in
                    let step: LuaValue = .table(["run": .string(run), "step": .integer(record.step), "loss": .number(record.loss), "lr": .number(record.lr)])
                    let result = try vm.call(dispatch, nil, [.value(.integer(index + 1)), .value(step), .object(model), .object(optimizer)])[0]
                    return result != .bool(false)
                }
            }
            var places: [String] = []
            if case .array(let list) = vm.value(at: 5) { places = list.compactMap { if case .string(let p) = $0 { return p } else { return nil } } }
            let place: String? = if case .string(let p) = vm.value(at: 6) { p } else { nil }
            let summaries = try runner.execute(experiment: name, defaults: defaults, runs: runs, places: places, at: place, onStep: hook)
            vm.push(.array(summaries.map { s in .table(Self.lua(s)) }))
            let table = SettingsTable(ResultsTable(try Report.runs(in: runner.options.outDirectory + "/" + name)))
            vm.push(.table(Dictionary(uniqueKeysWithValues: table.settings.map { ($0.name, .table(Self.lua($0))) })))
            return 2
        }
        // The run fields, from the one list of them (`RunSpec.fields`): sweeps tell a field from a hyperparameter.
        vm.push(.array(RunSpec.fields.map { .string($0.key) }))
        try vm.pcall(arguments: 2, results: 1)
        finisher = LuaReference(popping: vm)
        try vm.open(TFODLibrary())
    }

    static func lua(_ s: RunSummary) -> [String: LuaValue] {
        var t: [String: LuaValue] = ["run": .string(s.name), "status": .string(s.status.rawValue), "steps": .integer(s.steps),
                                     "metric": .string(s.metricName), "seconds": .number(s.seconds)]
        if let e = s.error { t["error"] = .string(e) }
        if let v = s.finalLoss { t["final_loss"] = .number(v) }
        if let v = s.bestLoss { t["best_loss"] = .number(v) }
        if let v = s.bestMetric { t["best_metric"] = .number(v) }
        if let v = s.stepsToThreshold { t["steps_to_threshold"] = .integer(v) }
        if let v = s.setting { t["setting"] = .string(v) }
        if let v = s.seed { t["seed"] = .integer(v) }
        if s.otherShard { t["other_shard"] = .bool(true) }
        return t
    }

    /// A setting's statistics as settings.csv has them, and its runs (one per seed).
    static func lua(_ s: SettingsTable.Setting) -> [String: LuaValue] {
        var t: [String: LuaValue] = ["setting": .string(s.name), "seeds": .integer(s.rows.count), "diverged": .integer(s.diverged),
                                     "runs": .array(s.rows.map { .string($0.run.name) })]
        for (m, e) in s.estimates {
            if let v = e.mean { t[m + "_mean"] = .number(v) }
            if let v = e.std { t[m + "_std"] = .number(v) }
            if let v = e.ci95 { t[m + "_ci95"] = .number(v) }
        }
        return t
    }

    /// Runs what is still pending; returns the experiment directories written.
    public func finish() throws -> [String] {
        guard let finisher else { return [] }
        let vm = try finisher.push("experiments")
        try vm.pcall(arguments: 0, results: 0)
        return runner.experiments
    }
}
