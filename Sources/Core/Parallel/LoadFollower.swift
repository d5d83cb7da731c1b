import Foundation

/// A run's thread count over its life: at its start the cores other processes leave free
/// (`Parallel.threadsForNewRun`), then, looked at every `interval` seconds, the free cores again
/// when they differ from the count by more than the hysteresis (`Parallel.threadsFollowingLoad`).
/// Results do not depend on the count. With DESCENT_THREADS set the count never changes.
public struct LoadFollower {
    /// Seconds between looks (a look reads two /proc files; /proc/stat counts in 10 ms ticks).
    public static let interval = 2.0
    private var monitor = CoreLoad.Monitor()
    private var checkedAt = Date()
    /// Read once: it parses the environment.
    private let follows = !Parallel.threadsFromEnvironment
    private let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Sets the thread count for a new run; `note` hears why, when it is below the cores.
    public init(note: (String) -> Void) {
        Parallel.setThreads(Parallel.threadsForNewRun())
        let n = Parallel.threads
        if n < cores, follows {
            note("other processes keep \(cores - n) of \(cores) cores busy: training with \(n) thread\(n == 1 ? "" : "s") (DESCENT_THREADS sets the count)")
        }
    }

    /// Changes the count when the load moved since the last look, and says so.
    public mutating func check() -> String? {
        guard follows, Date().timeIntervalSince(checkedAt) >= Self.interval, let others = monitor.othersBusy() else { return nil }
        checkedAt = Date()
        let next = Parallel.threadsFollowingLoad(current: Parallel.threads, othersBusy: others)
        guard next != Parallel.threads else { return nil }
        Parallel.setThreads(next)
        return String(format: "other processes now use %.1f of %d cores: training with %d thread%@", others, cores, next, next == 1 ? "" : "s")
    }
}
