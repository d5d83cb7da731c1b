import ArgumentParser
import DescentHost
import DescentPlugins

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive Lua prompt with the Descent API, plugins and experiments loaded.",
        discussion: "Line editing and Ctrl-R search (GNU readline), history in ~/.descent_history, tab completion. With stdin not a terminal it reads plain lines without prompts, so sessions can be piped in. :help lists the commands.")

    @Option(name: .customLong("plugins"), help: ArgumentHelp("Also load Lua plugins from DIR (repeatable).", valueName: "DIR"))
    var pluginDirectories: [String] = []

    func run() throws {
        let registry = PluginRegistry.boot(extra: pluginDirectories, report: warn)
        let experiments = ExperimentAPI(registry: registry, options: StudyOptions())
        withExtendedLifetime((registry, experiments)) {
            registry.vm.builtinGlobals = REPL.globalNames(registry.vm)
            REPL(vm: registry.vm).run(banner: "Descent \(descentVersion) (Lua 5.4). :help for commands, Ctrl-D to leave.")
        }
    }
}
