import ArgumentParser

@main
struct Descent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "A research framework for deep-learning optimizers, scripted in Lua.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ReplCommand.self, ReportCommand.self, PluginsCommand.self, BenchCommand.self, TFODCommand.self, WorkerCommand.self])
}
