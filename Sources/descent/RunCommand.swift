import ArgumentParser
import DescentHost
import DescentPlugins
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script with the Descent API loaded.",
        discussion: "Script arguments are in the standard `arg` table; --set overrides go into the `params` table. Exit status: 0 on success, 1 on a script error, 130 when interrupted with Ctrl-C.")

    @Argument(help: "The Lua script to run.")
    var script: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Put key=value into the script's `params` table (numbers and booleans are parsed).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("plugins"), help: ArgumentHelp("Also load Lua plugins from DIR (repeatable; later directories override earlier ones).", valueName: "DIR"))
    var pluginDirectories: [String] = []

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script as arg[1], arg[2], ...")
    var scriptArguments: [String] = []

    /// `--set` may also follow the script name (`descent run s.lua --set steps=10 a b`); a `--`
    /// ends option parsing, so `--set` after it reaches the script.
    func split() -> (sets: [String], arguments: [String]) {
        var sets = overrides, args: [String] = [], i = 0, literal = false
        while i < scriptArguments.count {
            let a = scriptArguments[i]
            if !literal, a == "--" { literal = true } else if !literal, a == "--set", i + 1 < scriptArguments.count {
                sets.append(scriptArguments[i + 1])
                i += 1
            } else if !literal, a.hasPrefix("--set=") {
                sets.append(String(a.dropFirst(6)))
            } else {
                args.append(a)
            }
            i += 1
        }
        return (sets, args)
    }

    func run() throws {
        let (vm, _) = PluginRegistry.boot(extra: pluginDirectories, report: warn)
        let (sets, arguments) = split()
        do {
            try ScriptRunner.run(vm, path: script, arguments: arguments, params: try ScriptRunner.overrides(sets))
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
