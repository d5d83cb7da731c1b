import ArgumentParser
import DescentHost
import DescentStudies

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive Lua prompt with the Descent API, plugins and experiments loaded.",
        discussion: "Line editing and Ctrl-R search (GNU readline), history in ~/.descent_history, tab completion. With stdin not a terminal it reads plain lines without prompts, so sessions can be piped in. :help lists the commands.")

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        let session = try Session(plugins: plugins)
        try REPL(vm: session.vm).run(banner: "Descent \(descentVersion) (Lua 5.4). :help for commands, Ctrl-D to leave.")
    }
}
