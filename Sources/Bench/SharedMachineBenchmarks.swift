import DescentCore
import Foundation

/// `descent bench --only shared`: the reference step while another process keeps one core busy
/// (a `yes > /dev/null` this section starts and stops), at one thread and at every core, and
/// the thread count a run would pick in that condition (`Parallel.threadsForNewRun`). One
/// command for the figure a shared machine gives.
enum SharedMachineBenchmarks {
    static func run(_ r: BenchmarkReport) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        busy.standardOutput = FileHandle.nullDevice
        try busy.run()
        defer { busy.terminate(); busy.waitUntilExit() }
        usleep(300_000)
        let chosen = Parallel.threadsForNewRun()
        r.add("shared", "threads a run picks with one core busy", Double(chosen), "threads",
              String(format: "other processes use %.2f cores of %d", CoreLoad.busyElsewhere() ?? .nan, cores))
        let step = try CoreBenchmarks.referenceStepper()
        let before = Parallel.threads
        defer { Parallel.setThreads(before) }
        let counts = Array(Set([1, cores, chosen])).sorted()
        for n in counts { Parallel.setThreads(n); for _ in 0..<20 { try step() } }
        let times = try Measure.interleavedMedians(runs: 15, warmup: 1, counts.map { n in { Parallel.setThreads(n); try step() } })
        for (n, t) in zip(counts, times) {
            r.add("shared", "reference CNN step, one core busy, \(n) thread\(n == 1 ? "" : "s")", t * 1e3, "ms",
                  String(format: "%.1f steps/s%@", 1 / t, n == chosen ? " (what a run picks)" : ""))
        }
    }
}
