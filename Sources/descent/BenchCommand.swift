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

    @Option(help: "Sections to run (sgemm, conv, train, optim, lua, plugins, compose, detector, shared); default: all.")
    var only: [String] = []

    func run() throws {
        let report = BenchmarkReport(live: !json)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if !json { print("cpu: \(Machine.cpuModel), \(cores) cores; DESCENT_THREADS=\(Parallel.threads)") }
        // Figures taken next to other work measure the neighbours too: say so.
        if let load = CoreLoad.loadAverage, load > Double(cores) {
            warn(String(format: "the load average (%.2f) exceeds the %d cores: other processes share the CPU, so these figures are slower than this build", load, cores))
        }
        if let others = CoreLoad.busyElsewhere(), others >= 0.5 {
            warn(String(format: "other processes use %.2f cores right now; figures include their contention", others))
        }
        let chosen = only.flatMap { $0.split(separator: ",").map(String.init) }
        try Benchmarks.run(report, sections: chosen.isEmpty ? Benchmarks.sections : chosen)
        if json { print(try report.json()) }
    }
}
