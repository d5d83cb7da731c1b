import ArgumentParser
import DescentStudies

/// The options of `descent run`, declared once: they may stand before the script or after it
/// (`descent run s.lua --set steps=10 a b`), where the same declarations parse them again.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("Put key=value into the script's `params` table (numbers and booleans are parsed).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var plugins: PluginOptions

    @Option(help: ArgumentHelp("Directory for experiment results (default: runs).", valueName: "DIR"))
    var out: String?

    @Option(help: "Run independent runs of a study in N parallel processes.")
    var jobs: Int?

    @Option(help: ArgumentHelp("Run only every n-th run, starting with the i-th (for job arrays; `auto` reads a Slurm array's variables); `descent report` merges shards.", valueName: "i/n|auto"))
    var shard: String?

    @Flag(help: "A very short smoke version of every run of a study.")
    var quick = false

    @Flag(help: "Train every run of a study from the start, deleting the results and checkpoints an earlier invocation left in --out.")
    var fresh = false

    @Flag(help: "Open the REPL after the script, with its globals.")
    var repl = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs: a positive integer expected, got \(jobs)") }
        if let out { do { try StudyOptions.checkOutDirectory(out) } catch { throw ValidationError("\(error)") } }
        if let shard, shard != "auto", StudyOptions.parseShard(shard) == nil { throw ValidationError("--shard: i/n with 1 <= i <= n, or auto, expected, got '\(shard)'") }
    }

    /// These options followed by `later` ones: lists add up, single values and flags are overridden.
    func merged(with later: RunOptions) -> RunOptions {
        var m = self
        m.overrides += later.overrides
        m.plugins.directories += later.plugins.directories
        m.out = later.out ?? out
        m.jobs = later.jobs ?? jobs
        m.shard = later.shard ?? shard
        m.quick = quick || later.quick
        m.fresh = fresh || later.fresh
        m.repl = repl || later.repl
        return m
    }

    /// Study options; `--jobs` workers are `descent worker` processes with the same plugin
    /// directories, each given its run on standard input.
    func study() throws -> StudyOptions {
        var o = StudyOptions()
        o.outDirectory = out ?? "runs"
        o.jobs = jobs ?? 1
        o.shard = shard == "auto" ? try StudyOptions.shardFromScheduler() : shard.flatMap(StudyOptions.parseShard)
        o.quick = quick
        o.fresh = fresh
        let plugins = self.plugins.directories.flatMap { ["--plugins", $0] }
        o.launchWorker = { job, environment in try WorkerCommand.launch(job, plugins: plugins, environment: environment) }
        return o
    }
}

/// What follows the script name: options `RunOptions` knows, and the script's own arguments
/// (everything else, and everything after `--`).
struct TrailingRunArguments: ParsableArguments {
    @OptionGroup var options: RunOptions
    @Argument(parsing: .allUnrecognized) var scriptArguments: [String] = []
}
