import ArgumentParser
import DescentBench
import DescentCore
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print performance figures (build with -c release).",
        discussion: "SGEMM baseline, conv layers, reference CNN training step, native optimizer bandwidth against a triad, Lua call overhead. DESCENT_THREADS caps every thread pool.")

    @Flag(help: "Print the figures as JSON instead of a table.")
    var json = false

    @Option(help: "Sections to run (sgemm, conv, train, optim, lua, plugins, compose, detector); default: all.")
    var only: [String] = []

    func run() throws {
        let report = BenchmarkReport(live: !json)
        if !json { print("cpu: \(Machine.cpuModel), \(ProcessInfo.processInfo.activeProcessorCount) cores; DESCENT_THREADS=\(Parallel.threads)") }
        let chosen = only.flatMap { $0.split(separator: ",").map(String.init) }
        try Benchmarks.run(report, sections: chosen.isEmpty ? Benchmarks.sections : chosen)
        if json { print(try report.json()) }
    }
}
