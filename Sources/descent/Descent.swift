import ArgumentParser
import DescentCore
import Foundation

@main
struct Descent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "A research framework for deep-learning optimizers, scripted in Lua.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ReplCommand.self, ReportCommand.self, PluginsCommand.self, BenchCommand.self, TFODCommand.self, WorkerCommand.self])

    /// Refuses malformed numeric settings (`DESCENT_THREADS=abc`) before any command runs.
    static func main() {
        do {
            try EnvironmentSetting.checkAll()
        } catch {
            FileHandle.standardError.write(Data("descent: \(error)\n".utf8))
            Foundation.exit(2)
        }
        main(nil)
    }
}
