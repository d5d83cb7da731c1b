import Foundation

/// Timing helpers: monotonic clock, median of repeated runs after warm-up.
public enum Measure {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median seconds of `runs` calls of `body` after `warmup` calls.
    public static func median(runs: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<runs {
            let t = now()
            try body()
            times.append(now() - t)
        }
        times.sort()
        return times[times.count / 2]
    }
}
