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
        let study = options.study
        var arguments = trailing.scriptArguments
        // The first `--` ended the options; it is not the script's.
        if let end = arguments.firstIndex(of: "--") { arguments.remove(at: end) }
        let sets = options.overrides
        do {
            var params = try ScriptRunner.overrides(sets)
            if study.quick { params["quick"] = .bool(true) }
            let session = try Session(plugins: options.plugins, study: study)
            try ScriptRunner.run(session.vm, path: script, arguments: arguments, params: params)
            for dir in try session.experiments.finish() {
                let (path, summaries) = try Report.write(experimentDirectory: dir)
                print("\n" + Report.table(summaries) + "\nreport: \(path)")
            }
            if options.repl {
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
