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

    /// A run name is a directory name: ASCII letters, digits, `_`, `-`, `.`; never `.`, `..`, a
    /// hidden name or an option-like one, and never a path.
    static func isRunName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", first != "-", name.utf8.count <= 200 else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }
    }

    /// Executes a worker's job (see `WorkerJob`) and returns its summary.
    public func execute(job: WorkerJob) throws -> RunSummary {
        options.quick = job.quick
        guard let spec = try resolve(experiment: job.experiment, defaults: job.defaultsValues, runs: [job.runValues]).first else {
            throw DescentError("worker", "the job holds no run")
        }
        return try RunExecutor(spec, registry: registry).execute(into: job.directory + "/" + spec.name, onStep: nil)
    }

    /// Resolves `runs` (each a table of overrides) against the experiment's `defaults`.
    func resolve(experiment: String, defaults: [String: LuaValue], runs: [[String: LuaValue]]) throws -> [RunSpec] {
        var base = RunSpec(experiment: experiment, name: "")
        try base.apply(defaults.filter { $0.key != "name" }, context: "experiment '\(experiment)'")
        var seen = Set<String>()
        return try runs.enumerated().map { i, overrides in
            var spec = base
            spec.name = "run\(i + 1)"
            try spec.apply(overrides, context: "run \(i + 1) of experiment '\(experiment)'")
            guard Self.isRunName(spec.name) else {
                throw DescentError("experiment '\(experiment)'", "run name '\(spec.name)' must use letters, digits, '_', '-' and '.', and not start with '.' or '-'")
            }
            guard seen.insert(spec.name).inserted else { throw DescentError("experiment '\(experiment)'", "two runs are named '\(spec.name)'") }
            if options.quick {
                spec.steps = min(spec.steps, 6)
                spec.evalEvery = 0
                if ["street_scenes", "shapes"].contains(spec.dataset) { spec.datasetArgs["train"] = .integer(64); spec.datasetArgs["val"] = .integer(8) }
            }
            return spec
        }
    }

    /// Called after every training step of run `index` (0-based in the batch) named `run`, with
    /// the step's record and the run's model and optimizer; returns false to stop the run.
    public typealias StepHook = (_ index: Int, _ run: String, _ record: StepRecord, _ model: Module, _ optimizer: Optimizer) throws -> Bool

    /// Executes one batch of runs and returns every run's summary (executed here or found on disk).
    public func execute(experiment: String, defaults: [String: LuaValue], runs: [[String: LuaValue]], onStep: StepHook? = nil) throws -> [RunSummary] {
        guard Plugin.isIdentifier(experiment) else { throw DescentError("experiment", "name must be an identifier, got '\(experiment)'") }
        let specs = try resolve(experiment: experiment, defaults: defaults, runs: runs)
        let dir = options.outDirectory + "/" + experiment
        if !experiments.contains(dir) { experiments.append(dir) }
        // Validate everything before training anything.
        let executors = try specs.map { try RunExecutor($0, registry: registry) }
        let first = declared
        declared += specs.count
        var local: [Int] = [], workers: [Int] = []
        for (k, spec) in specs.enumerated() {
            if let (i, n) = options.shard, (first + k) % n != i - 1 {
                continue
            } else if options.jobs > 1, onStep == nil {
                // Runs with on_step callbacks (Lua functions of this script) run in this process.
                workers.append(k)
            } else {
                local.append(k)
            }
        }
        var summaries: [String: RunSummary] = [:]
        for k in local {
            let hook = onStep.map { f in { (r: StepRecord, m: Module, o: Optimizer) in try f(k, specs[k].name, r, m, o) } }
            summaries[specs[k].name] = try executors[k].execute(into: dir + "/" + specs[k].name, onStep: hook)
        }
        let jobs = try workers.map { k in
            // The run's resolved name goes with it: an unnamed run is named by its place here.
            try WorkerJob(experiment: experiment, defaults: defaults, run: runs[k].merging(["name": .string(specs[k].name)]) { $1 },
                          quick: options.quick, directory: dir)
        }
        try runWorkers(zip(workers.map { specs[$0] }, jobs).map { $0 }, dir: dir).forEach { summaries[$0.name] = $0 }
        for spec in specs where summaries[spec.name] == nil {
            if let s = try? RunFiles.readSummary(dir + "/" + spec.name + "/summary.json") { summaries[spec.name] = s }
        }
        try Report.write(experimentDirectory: dir, title: experiment)
        return specs.compactMap { summaries[$0.name] }
    }

    /// Runs each job in a worker process (`options.launchWorker`), `jobs` at a time.
    func runWorkers(_ specs: [(RunSpec, WorkerJob)], dir: String) throws -> [RunSummary] {
        guard !specs.isEmpty else { return [] }
        guard let launch = options.launchWorker else {
            throw DescentError("experiment", "--jobs needs worker processes, and this host cannot start them")
        }
        var env = ProcessInfo.processInfo.environment
        env["DESCENT_PROGRESS"] = "lines"
        if env["DESCENT_THREADS"] == nil { env["DESCENT_THREADS"] = String(max(1, Parallel.threads / options.jobs)) }
        var pending = specs[...], running: [(RunSpec, Process)] = [], out: [RunSummary] = []
        func reap(_ spec: RunSpec, _ p: Process) {
            p.waitUntilExit()
            if let s = try? RunFiles.readSummary(dir + "/" + spec.name + "/summary.json") {
                out.append(s)
            } else {
                out.append(RunSummary(name: spec.name, status: .failed, error: "worker exited with status \(p.terminationStatus) before writing its summary"))
            }
        }
        while !pending.isEmpty || !running.isEmpty {
            while running.count < options.jobs, let spec = pending.popFirst() {
                running.append((spec.0, try launch(try JSONEncoder().encode(spec.1), env)))
            }
            let (spec, p) = running.removeFirst()
            reap(spec, p)
        }
        return out
    }
}
