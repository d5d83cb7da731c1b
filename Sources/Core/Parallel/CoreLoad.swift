import Foundation

/// How much of the machine other processes use: the cores busy with work that is not this
/// process's, sampled from `/proc/stat` (all CPUs) and `/proc/self/stat` (this process) over a
/// short window (0.1 s: /proc/stat counts in 10 ms ticks, so a busy core shows as 10 of them).
/// A run picks its thread count from it (`Parallel.threadsForNewRun`) and follows it while it
/// trains (`Monitor`, `Parallel.threadsFollowingLoad`): more threads than free cores share
/// cores with the other processes for nothing.
public enum CoreLoad {
    /// Cores' worth of CPU time other processes used during `seconds`, or nil where /proc is absent.
    public static func busyElsewhere(sampling seconds: Double = 0.1) -> Double? {
        var monitor = Monitor()
        usleep(UInt32(seconds * 1e6))
        return monitor.othersBusy()
    }

    /// Follows the load while a run trains: each `othersBusy()` reports the cores' worth of CPU
    /// time other processes used since the previous call (no sleeping; nil where /proc is absent).
    public struct Monitor {
        private var last = CoreLoad.sample()

        public init() {}

        public mutating func othersBusy() -> Double? {
            guard let a = last, let b = CoreLoad.sample(), b.wall > a.wall else { return nil }
            last = b
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            return max(0, Double((b.busy - a.busy) - (b.mine - a.mine)) / ticks / (b.wall - a.wall))
        }
    }

    /// The load average of the last minute (`/proc/loadavg`), for benchmark warnings.
    public static var loadAverage: Double? {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) }
    }

    /// Busy ticks of all CPUs, this process's ticks, and the monotonic time.
    private static func sample() -> (busy: Int, mine: Int, wall: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let cpu = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }),
              let mineText = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = mineText.lastIndex(of: ")") else { return nil }
        // user nice system idle iowait irq softirq steal: busy is user to softirq but idle and
        // iowait; steal (the hypervisor's other guests) is not a process this one can see.
        let f = cpu.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard f.count >= 7 else { return nil }
        let busy = f[0] + f[1] + f[2] + f[5] + f[6]
        // Fields after the command: state is 3rd, utime 14th, stime 15th of the whole line.
        let rest = mineText[mineText.index(after: close)...].split(separator: " ")
        guard rest.count > 12, let user = Int(rest[11]), let system = Int(rest[12]) else { return nil }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return (busy, user + system, Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
    }
}
