import Foundation

/// Timing helpers: monotonic clock, median of repeated runs after warm-up.
public enum Measure {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Minor page faults of this process so far (getrusage): a steady-state step should add none.
    public static func minorFaults() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_minflt
    }

    /// CPU seconds (user + system, all threads) this process has used so far.
    public static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
    }

    /// Median seconds of `runs` calls of `body` after `warmup` calls.
    public static func median(runs: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
        try medians(runs: runs, warmup: warmup, count: 1) { _ in try body() }[0]
    }

    /// The median seconds of each body, run in turn (A, B, A, B, ...) after `warmup` rounds, so
    /// that drifts in the machine's speed (this VM's figures move by 10% over seconds) hit every
    /// body alike and their ratio stays meaningful.
    public static func interleavedMedians(runs: Int, warmup: Int = 2, _ bodies: [() throws -> Void]) throws -> [Double] {
        try medians(runs: runs, warmup: warmup, count: bodies.count) { try bodies[$0]() }
    }

    /// Per body index in 0..<count, the median seconds of `body(i)` over `runs` rounds.
    private static func medians(runs: Int, warmup: Int, count: Int, _ body: (Int) throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { for i in 0..<count { try body(i) } }
        var times = [[Double]](repeating: [], count: count)
        for _ in 0..<runs {
            for i in 0..<count {
                let t = now()
                try body(i)
                times[i].append(now() - t)
            }
        }
        return times.map { $0.sorted()[$0.count / 2] }
    }
}
