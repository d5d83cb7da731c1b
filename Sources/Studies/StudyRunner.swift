import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// Executes the runs of an experiment: resolves and validates every run before any trains,
/// then runs them here, in worker processes (`--jobs`), or only this shard's (`--shard`), and
/// rebuilds the report. Runs another process or shard executed are read back from disk.
public final class StudyRunner {

    let registry: PluginRegistry
    public var options: StudyOptions
    /// Runs declared so far in this process, for shard assignment.
    private var declared = 0
    /// Experiment directories written, for the final summary.
    public private(set) var experiments: [String] = []

    public init(registry: PluginRegistry, options: StudyOptions) {
        self.registry = registry
        self.options = options
    }

    /// A run name is a directory name: ASCII letters, digits, `_`, `-`, `.`, `@` (a seed's run:
    /// `<setting>@s<seed>`); never `.`, `..`, a
    /// hidden name or an option-like one, and never a path.
    static func isRunName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", first != "-", name.utf8.count <= 200 else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.@".unicodeScalars.contains($0)) }
    }

    /// Executes a worker's job (see `WorkerJob`) and returns its summary. The parent prepared the
    /// run's directory (skip, resume or start).
    public func execute(job: WorkerJob) throws -> RunSummary {
        options.quick = job.quick
        guard let spec = try resolve(experiment: job.experiment, defaults: job.defaultsValues, runs: [job.runValues], places: []).first?.spec else {
            throw DescentError("worker", "the job holds no run")
        }
        return try RunExecutor(spec, registry: registry).execute(into: job.directory + "/" + spec.name, configuration: spec.configuration(registry: registry))
    }

    /// Resolves `runs` (each a table of overrides) against the experiment's `defaults`, a run
    /// with `seeds` into one run per seed; each with the index of the run it came from. Errors
    /// start with `places[k]`, where the script declared run k (`my_study.lua:12`).
    func resolve(experiment: String, defaults: [String: LuaValue], runs: [[String: LuaValue]], places: [String],
                 at place: String? = nil) throws -> [(spec: RunSpec, declared: Int)] {
        var base = RunSpec(experiment: experiment, name: "")
        do {
            try base.apply(defaults.filter { $0.key != "name" }, context: "experiment '\(experiment)'")
        } catch {
            throw place.map { ContextError($0, error) } ?? error
        }
        var seen = Set<String>()
        return try runs.enumerated().flatMap { i, overrides in
            do {
                return try resolve(run: i, overrides, base: base, seen: &seen).map { ($0, i) }
            } catch {
                throw i < places.count ? ContextError(places[i], error) : error
            }
        }
    }

    private func resolve(run i: Int, _ overrides: [String: LuaValue], base: RunSpec, seen: inout Set<String>) throws -> [RunSpec] {
        let experiment = base.experiment
        var spec = base
        spec.name = "run\(i + 1)"
        try spec.apply(overrides, context: "run \(i + 1) of experiment '\(experiment)'")
        guard Self.isRunName(spec.name), !spec.name.contains("@") else {
            throw DescentError("experiment '\(experiment)'", "run name '\(spec.name)' must use letters, digits, '_', '-' and '.', and not start with '.' or '-'")
        }
        // A setting that cannot change the run is a mistake, not a no-op.
        if spec.schedule == nil, !spec.scheduleArgs.isEmpty {
            throw DescentError("run '\(spec.name)'", "schedule_args (\(spec.scheduleArgs.keys.sorted().joined(separator: ", "))) given without a schedule: they would change nothing; name a schedule or drop them")
        }
        if options.quick {
            spec.steps = min(spec.steps, 6)
            spec.evalEvery = 0
            spec.datasetArgs.merge(registry.plugin(.dataset, spec.dataset)?.quickArgs ?? [:]) { $1 }
        }
        let expanded = spec.expandedBySeed
        for r in [spec] + (spec.seeds == nil ? [] : expanded) {
            guard seen.insert(r.name).inserted else { throw DescentError("experiment '\(experiment)'", "two runs are named '\(r.name)'") }
        }
        return expanded
    }

    /// Called after every training step of run `index` (0-based in the batch) named `run`, with
    /// the step's record and the run's model and optimizer; returns false to stop the run.
    public typealias StepHook = (_ index: Int, _ run: String, _ record: StepRecord, _ model: Module, _ optimizer: Optimizer) throws -> Bool

    /// Whether a stop request ended a study (its runs checkpointed, its report written).
    public private(set) var stopped = false
    /// Runs of this process that failed (`experiment/run`), for the exit status.
    public private(set) var failures: [String] = []
    /// The runs each experiment directory holds for this study, in declaration order, with
    /// their configuration hashes: the report shows these and nothing else found there.
    private var declaredRuns: [String: [(name: String, hash: String)]] = [:]

    /// Executes one batch of runs and returns every run's summary (executed here, found finished
    /// on disk, or executed by another shard). `places[k]` is where run k was declared.
    public func execute(experiment: String, defaults: [String: LuaValue], runs: [[String: LuaValue]], places: [String] = [],
                        at place: String? = nil, onStep: StepHook? = nil) throws -> [RunSummary] {
        guard Plugin.isIdentifier(experiment) else { throw DescentError("experiment", "name must be an identifier, got '\(experiment)'") }
        try StudyOptions.checkOutDirectory(options.outDirectory)
        let resolved = try resolve(experiment: experiment, defaults: defaults, runs: runs, places: places, at: place)
        let specs = resolved.map(\.spec)
        let dir = options.outDirectory + "/" + experiment
        if !experiments.contains(dir) { experiments.append(dir) }
        // An average over more steps than the run has evaluates near-initial weights.
        var warned = Set<String>()
        for spec in specs {
            guard let d = spec.ema, !spec.emaDynamic, 1 / (1 - d) > Double(spec.steps), warned.insert(spec.setting ?? spec.name).inserted else { continue }
            options.warn(String(format: "run '%@': ema = %g averages over about %.0f steps, more than its %d: the evaluated weights stay close to the first ones; use ema = {decay = %g, dynamic = true} (TF's min(decay, (1 + t)/(10 + t))) or a smaller decay",
                                spec.setting ?? spec.name, d, 1 / (1 - d), spec.steps, d))
        }
        // Validate everything before training anything.
        let executors = try resolved.map { spec, k in
            do { return try RunExecutor(spec, registry: registry) } catch { throw k < places.count ? ContextError(places[k], error) : error }
        }
        let configurations = specs.map { $0.configuration(registry: registry) }
        declaredRuns[dir, default: []].removeAll { old in specs.contains { $0.name == old.name } }
        declaredRuns[dir, default: []] += zip(specs, configurations).map { ($0.name, $1.hash) }
        try writeStudyFile(dir)
        let first = declared
        declared += specs.count
        var summaries: [String: RunSummary] = [:]
        var local: [Int] = [], workers: [Int] = []
        for (k, spec) in specs.enumerated() {
            if let (i, n) = options.shard, (first + k) % n != i - 1 { continue }
            let runDir = dir + "/" + spec.name
            if case .done(let s) = try RunDirectory.prepare(runDir, hash: configurations[k].hash, fresh: options.fresh, warn: options.warn) {
                summaries[spec.name] = s
                print("\(spec.name)  already \(s.status == .ok ? "done" : s.status.rawValue) with this configuration (\(s.steps) steps); --fresh retrains it")
            } else if options.jobs > 1, onStep == nil {
                // Runs with on_step callbacks (Lua functions of this script) run in this process.
                workers.append(k)
            } else {
                local.append(k)
            }
        }
        for k in local where StopRequest.signal == nil {
            let hook = onStep.map { f in { (r: StepRecord, m: Module, o: Optimizer) in try f(k, specs[k].name, r, m, o) } }
            summaries[specs[k].name] = try executors[k].execute(into: dir + "/" + specs[k].name, configuration: configurations[k], onStep: hook)
        }
        let jobs = try workers.map { k in
            // The run's resolved name goes with it (an unnamed run is named by its place here),
            // and for one seed of a setting, the setting's name and that seed.
            let spec = specs[k]
            var named: [String: LuaValue] = ["name": .string(spec.setting ?? spec.name)]
            if spec.setting != nil { named["seeds"] = .array([.integer(spec.seed)]) }
            return try WorkerJob(experiment: experiment, defaults: defaults, run: runs[resolved[k].declared].merging(named) { $1 },
                                 quick: options.quick, directory: dir)
        }
        if StopRequest.signal == nil {
            try runWorkers(workers.map { (specs[$0], configurations[$0].hash) }, jobs, dir: dir).forEach { summaries[$0.name] = $0 }
        }
        for spec in specs where summaries[spec.name] == nil {
            if let s = try? RunFiles.readSummary(dir + "/" + spec.name + "/summary.json") { summaries[spec.name] = s }
        }
        // Runs of other shards: what is on disk so far, marked, so study logic that picks a
        // best run can tell that it sees part of the study.
        if let (i, n) = options.shard {
            for (k, spec) in specs.enumerated() where (first + k) % n != i - 1 {
                var s = summaries[spec.name] ?? RunSummary(name: spec.name, status: .incomplete)
                s.otherShard = true
                summaries[spec.name] = s
            }
        }
        failures += specs.filter { summaries[$0.name]?.status == .failed && summaries[$0.name]?.otherShard == false }.map { experiment + "/" + $0.name }
        try Report.write(experimentDirectory: dir, title: experiment)
        if let signal = StopRequest.signal {
            stopped = true
            throw StudyStopped(signal: signal)
        }
        return specs.compactMap { summaries[$0.name] }
    }

    /// `<dir>/study.json`: the runs of the study that last wrote here.
    private func writeStudyFile(_ dir: String) throws {
        let runs = (declaredRuns[dir] ?? []).map { ["run": $0.name, "config_hash": $0.hash] }
        try AtomicFile.write(try RunFiles.json(["runs": runs]), to: dir + "/" + Report.studyFile)
    }

    /// Runs each job in a worker process (`options.launchWorker`), `jobs` at a time, starting
    /// the next as soon as any finishes. A stop request is passed on to running workers (which
    /// checkpoint and stop) and starts no new one. A worker that dies without a summary leaves
    /// its run `failed` with the reason, on disk too, so the table and the report list it.
    func runWorkers(_ specs: [(spec: RunSpec, hash: String)], _ jobs: [WorkerJob], dir: String) throws -> [RunSummary] {
        guard !specs.isEmpty else { return [] }
        guard let launch = options.launchWorker else {
            throw DescentError("experiment", "--jobs needs worker processes, and this host cannot start them")
        }
        var env = ProcessInfo.processInfo.environment
        env["DESCENT_PROGRESS"] = "lines"
        if env["DESCENT_THREADS"] == nil { env["DESCENT_THREADS"] = String(max(1, Parallel.threads / options.jobs)) }
        var pending = Array(zip(specs, jobs))[...]
        var running: [(spec: RunSpec, hash: String, process: Process)] = []
        var out: [RunSummary] = []
        var forwarded = false
        func reap(_ spec: RunSpec, _ hash: String, _ p: Process) {
            let path = dir + "/" + spec.name + "/summary.json"
            if let s = try? RunFiles.readSummary(path), s.configHash == hash {
                out.append(s)
                return
            }
            let why = p.terminationReason == .uncaughtSignal ? "killed by signal \(p.terminationStatus)" : "exited with status \(p.terminationStatus)"
            var s = RunSummary(name: spec.name, status: .failed, error: "worker \(why) before writing its summary")
            s.configHash = hash
            try? AtomicFile.write(try RunFiles.json(s.json), to: path)
            out.append(s)
        }
        while !pending.isEmpty || !running.isEmpty {
            while running.count < options.jobs, StopRequest.signal == nil, let ((spec, hash), job) = pending.popFirst() {
                running.append((spec, hash, try launch(try JSONEncoder().encode(job), env)))
            }
            if let signal = StopRequest.signal {
                pending.removeAll()
                if !forwarded { for r in running { kill(r.process.processIdentifier, signal) } }
                forwarded = true
            }
            if let i = running.firstIndex(where: { !$0.process.isRunning }) {
                let r = running.remove(at: i)
                r.process.waitUntilExit()
                reap(r.spec, r.hash, r.process)
            } else {
                usleep(20_000)
            }
        }
        return out
    }
}

/// A study ended early by SIGINT or SIGTERM, after checkpointing its running runs and writing
/// the report; the process exits 128 + signal.
public struct StudyStopped: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String { "stopped by \(StopRequest.name(signal)); run the same command again to resume" }
}
