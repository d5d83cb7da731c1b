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

    /// Options may also follow the script name (`descent run s.lua --set steps=10 a b`); a
    /// `--` ends option parsing, so what follows it reaches the script unchanged.
    func split() -> TrailingOptions {
        var t = TrailingOptions(scriptArguments, valued: ["set", "plugins"], flags: [])
        t.values["set", default: []].insert(contentsOf: overrides, at: 0)
        t.values["plugins", default: []].insert(contentsOf: pluginDirectories, at: 0)
        return t
    }

    func run() throws {
        let options = split()
        let registry = PluginRegistry.boot(extra: options["plugins"], report: warn)
        let (sets, arguments) = (options["set"], options.arguments)
        do {
            let params = try ScriptRunner.overrides(sets)
            try withExtendedLifetime(registry) {
                try ScriptRunner.run(registry.vm, path: script, arguments: arguments, params: params)
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
