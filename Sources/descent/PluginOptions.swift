import ArgumentParser

/// `--plugins DIR`, shared by every command that loads plugins.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugins"), help: ArgumentHelp("Also load Lua plugins from DIR (repeatable; later directories override earlier ones).", valueName: "DIR"))
    var directories: [String] = []

    init() {}
    init(directories: [String]) { self.directories = directories }
}
