import ArgumentParser
import DescentPlugins

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List optimizers, schedules, datasets and models, native and Lua.",
        discussion: "Lua plugins are read from the shipped scripts/optimizers and scripts/schedules, then each directory of DESCENT_PATH (colon-separated), then each --plugins DIR; later ones override earlier ones. `descent plugins show NAME` prints one plugin's doc, defaults and file.")

    @Argument(help: "`show NAME` for one plugin's details.")
    var words: [String] = []

    @Option(name: .customLong("plugins"), help: ArgumentHelp("Also load Lua plugins from DIR (repeatable).", valueName: "DIR"))
    var pluginDirectories: [String] = []

    func run() throws {
        let registry = PluginRegistry.boot(extra: pluginDirectories, report: warn)
        switch words.first {
        case nil:
            print(PluginListing.table(registry.plugins))
        case "show" where words.count == 2:
            let found = registry.plugins.filter { $0.name == words[1] }
            guard !found.isEmpty else {
                throw ValidationError("no plugin named '\(words[1])' (see `descent plugins`)")
            }
            print(found.map(PluginListing.details).joined(separator: "\n\n"))
        default:
            throw ValidationError("usage: descent plugins [show NAME]")
        }
    }
}
