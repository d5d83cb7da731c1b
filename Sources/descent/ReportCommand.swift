import ArgumentParser
import DescentStudies

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild an experiment's report.html from its run directories.",
        discussion: "Use after shards of a study ran on several machines into one results directory: `descent report runs/<experiment>`.")

    @Argument(help: "The experiment directory (runs/<experiment>).")
    var directory: String

    func run() throws {
        do {
            let (path, summaries) = try Report.write(experimentDirectory: directory)
            let settings = Report.settingsText(experimentDirectory: directory).map { "\n\n" + $0 } ?? ""
            print(Report.table(summaries) + settings + "\nreport: \(path)")
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
    }
}
