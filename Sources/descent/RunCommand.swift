import ArgumentParser
import DescentCore
import DescentHost
import DescentStudies
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script with the Descent API loaded.",
        discussion: "Script arguments are in the standard `arg` table; --set overrides go into the `params` table. Options may also follow the script name; `--` ends them. Studies (experiment{...}) write runs/<experiment>/<run>/ and report.html. Re-running a study with the same --out resumes it: finished runs are kept, interrupted ones continue from their checkpoints, changed ones retrain (--fresh retrains all). Exit status: 0 on success, 1 on a script error or when a run failed, 130 when stopped with Ctrl-C (SIGINT), 143 with SIGTERM; a second Ctrl-C quits at once.")

    @Argument(help: "The Lua script to run.")
    var script: String

    @OptionGroup var options: RunOptions

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script as arg[1], arg[2], ...; options of `run` may come first, and `--` ends them.")
    var scriptArguments: [String] = []

    func run() throws {
        let trailing: TrailingRunArguments
        do {
            trailing = try TrailingRunArguments.parse(scriptArguments)
        } catch {
            throw ValidationError(TrailingRunArguments.message(for: error))
        }
        let options = self.options.merged(with: trailing.options)
        // A script's own loops take the cores other processes leave free, and follow the load
        // between its optimizer steps (each study run decides again as it starts, and follows
        // it between its own steps).
        var load = LoadFollower(note: warn)
        let study: StudyOptions
        do { study = try options.study() } catch { throw ValidationError("\(error)") }
        var arguments = trailing.scriptArguments
        // The first `--` ended the options; it is not the script's.
        if let end = arguments.firstIndex(of: "--") { arguments.remove(at: end) }
        let sets = options.overrides
        StopRequest.install(quitOnSecond: true)
        var session: Session? = nil
        /// The results table of every experiment the script ran (also when stopped); the study
        /// runner has written each report.
        func summarize() {
            for dir in session?.experiments.runner.experiments ?? [] {
                guard let (path, summaries) = try? Report.summaries(experimentDirectory: dir) else { continue }
                let settings = Report.settingsText(experimentDirectory: dir).map { "\n\n" + $0 } ?? ""
                print("\n" + Report.table(summaries) + settings + "\nreport: \(path)")
            }
        }
        do {
            var params = try ScriptRunner.overrides(sets)
            if study.quick { params["quick"] = .bool(true) }
            session = try Session(plugins: options.plugins, study: study)
            let vm = session!.vm
            vm.betweenSteps = { if let note = load.check() { warn(note) } }
            try ScriptRunner.run(vm, path: script, arguments: arguments, params: params)
            _ = try session!.experiments.finish()
            summarize()
            if options.repl {
                try REPL(vm: vm).run(banner: "descent repl after \(script): :help for commands, Ctrl-D to leave.")
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            if let signal = StopRequest.signal {
                summarize()
                if session?.experiments.runner.stopped == true {
                    warn("stopped by \(StopRequest.name(signal)); run the same command again to resume the study")
                } else {
                    warn("\(error)")
                }
                throw ExitCode(StopRequest.exitStatus(signal))
            }
            warn("\(error)")
            throw ExitCode(1)
        }
        let failures = session?.experiments.runner.failures ?? []
        if !failures.isEmpty {
            warn("\(failures.count) run\(failures.count == 1 ? "" : "s") failed: \(failures.joined(separator: ", "))")
            throw ExitCode(1)
        }
    }
}

/// Writes `descent: message` to standard error.
func warn(_ message: String) {
    fflush(stdout)
    FileHandle.standardError.write(Data("descent: \(message)\n".utf8))
}
