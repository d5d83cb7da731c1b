import ArgumentParser
import DescentHost
import DescentStudies
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script with the Descent API loaded.",
        discussion: "Script arguments are in the standard `arg` table; --set overrides go into the `params` table. Options may also follow the script name; `--` ends them. Studies (experiment{...}) write runs/<experiment>/<run>/ and report.html. Exit status: 0 on success, 1 on a script error, 130 when interrupted with Ctrl-C.")

    @Argument(help: "The Lua script to run.")
    var script: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Put key=value into the script's `params` table (numbers and booleans are parsed).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var plugins: PluginOptions

    @Option(help: ArgumentHelp("Directory for experiment results (default: runs).", valueName: "DIR"))
    var out: String?

    @Option(help: "Run independent runs of a study in N parallel processes.")
    var jobs: Int?

    @Option(help: ArgumentHelp("Run only every n-th run, starting with the i-th (for job arrays); `descent report` merges shards.", valueName: "i/n"))
    var shard: String?

    @Flag(help: "A very short smoke version of every run of a study.")
    var quick = false

    @Flag(help: "Open the REPL after the script, with its globals.")
    var repl = false

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script as arg[1], arg[2], ...")
    var scriptArguments: [String] = []

    /// Options may also follow the script name (`descent run s.lua --set steps=10 a b`); a
    /// `--` ends option parsing, so what follows it reaches the script unchanged.
    func split() -> TrailingOptions {
        var t = TrailingOptions(scriptArguments, valued: ["set", "plugins", "out", "jobs", "shard"], flags: ["quick", "repl"])
        t.values["set", default: []].insert(contentsOf: overrides, at: 0)
        t.values["plugins", default: []].insert(contentsOf: plugins.directories, at: 0)
        for (k, v) in [("out", out), ("jobs", jobs.map(String.init)), ("shard", shard)] {
            if let v { t.values[k, default: []].insert(v, at: 0) }
        }
        if quick { t.flags.insert("quick") }
        if repl { t.flags.insert("repl") }
        return t
    }

    /// Study options from the command line; `--jobs` workers are `descent worker` processes
    /// with the same plugin directories, each given its run on standard input.
    func studyOptions(_ t: TrailingOptions) throws -> StudyOptions {
        var o = StudyOptions()
        o.outDirectory = t["out"].last ?? "runs"
        if let j = t["jobs"].last {
            guard let n = Int(j), n >= 1 else { throw ValidationError("--jobs: a positive integer expected, got '\(j)'") }
            o.jobs = n
        }
        if let s = t["shard"].last {
            guard let sh = StudyOptions.parseShard(s) else { throw ValidationError("--shard: i/n with 1 <= i <= n expected, got '\(s)'") }
            o.shard = sh
        }
        o.quick = t.flags.contains("quick")
        let plugins = t["plugins"].flatMap { ["--plugins", $0] }
        o.launchWorker = { job, environment in try WorkerCommand.launch(job, plugins: plugins, environment: environment) }
        return o
    }

    func run() throws {
        let options = split()
        let study = try studyOptions(options)
        let (sets, arguments) = (options["set"], options.arguments)
        do {
            var params = try ScriptRunner.overrides(sets)
            if study.quick { params["quick"] = .bool(true) }
            let session = try Session(plugins: PluginOptions(directories: options["plugins"]), study: study)
            try ScriptRunner.run(session.vm, path: script, arguments: arguments, params: params)
            for dir in try session.experiments.finish() {
                let (path, summaries) = try Report.write(experimentDirectory: dir)
                print("\n" + Report.table(summaries) + "\nreport: \(path)")
            }
            if options.flags.contains("repl") {
                try REPL(vm: session.vm).run(banner: "descent repl after \(script): :help for commands, Ctrl-D to leave.")
            }
        } catch let e as LuaError {
            warn("\(e)")
            throw ExitCode(e.isInterrupt ? 130 : 1)
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Writes `descent: message` to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("descent: \(message)\n".utf8))
}
