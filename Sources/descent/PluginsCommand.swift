import ArgumentParser
import DescentPlugins

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List optimizers, schedules, datasets and models, native and Lua.",
        discussion: "Native plugins and the Lua plugins built into descent, then each directory of DESCENT_PATH (colon-separated), then each --plugins DIR; later ones override earlier ones. Nothing is read from the current directory.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every plugin: kind, name, origin, summary.")
        @OptionGroup var plugins: PluginOptions

        func run() throws {
            let registry = try Session.boot(plugins)
            print(PluginListing.table(registry.plugins))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One plugin's doc, defaults and origin.")
        @Argument(help: "The plugin's name.") var name: String
        @OptionGroup var plugins: PluginOptions

        func run() throws {
            let registry = try Session.boot(plugins)
            let found = registry.plugins.filter { $0.name == name }
            guard !found.isEmpty else { throw ValidationError("no plugin named '\(name)' (see `descent plugins`)") }
            print(found.map(PluginListing.details).joined(separator: "\n\n"))
        }
    }
}
