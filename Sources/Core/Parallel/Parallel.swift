import CDNNL
import CKernels
import Foundation

/// Descent's threading: one knob, `DESCENT_THREADS` (default: all cores), and one pool — the
/// loops below run on `WorkerPool`'s threads, and oneDNN runs one-thread primitives inside them
/// (`OneDNN.useOneThread`), so nothing else computes in parallel.
///
/// Work is split across threads at the outermost level (batch images, chunks of a long vector);
/// a GEMM inside such a piece runs on one thread: on small CNNs splitting the batch beats
/// threading inside each GEMM.
public enum Parallel {
    /// The thread cap, read once from `DESCENT_THREADS`. Reading it first also sets the
    /// calling thread's floating-point mode (`prepareThread`) and keeps freed heap memory mapped
    /// (`descent_keep_heap_mapped`), before any worker thread exists.
    public private(set) static var threads: Int = {
        prepareThread()
        descent_keep_heap_mapped()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return (try? EnvironmentSetting.threads.value()).flatMap { $0 } ?? cores
    }()

    /// Flushes denormals to zero on the calling thread (see `descent_flush_denormals`). Threads
    /// inherit the mode from their creator; pool threads set it anyway.
    @inline(__always)
    public static func prepareThread() { descent_flush_denormals() }

    /// The thread count for a run starting now: `DESCENT_THREADS` when set; else the cores
    /// other processes leave free (`CoreLoad`, sampled over 0.1 s: a core counts as taken when others use half of
    /// it or more), at least one. A run keeps its count to the end, also when resumed.
    /// Whether `DESCENT_THREADS` fixes the thread count (the policy then stays out).
    public static var threadsFromEnvironment: Bool { (try? EnvironmentSetting.threads.value()).flatMap { $0 } != nil }

    public static func threadsForNewRun() -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let set = (try? EnvironmentSetting.threads.value()).flatMap({ $0 }) { return set }
        guard cores > 1, let others = CoreLoad.busyElsewhere() else { return cores }
        return max(1, cores - Int(others.rounded()))
    }

    /// The thread count for a run going on with `current` threads while other processes use
    /// `othersBusy` cores' worth of CPU: the free cores, rounded, when they differ from `current`
    /// by more than 0.6 of a core (so a neighbour near half a core does not flip it back and
    /// forth); `current` otherwise, and always when `DESCENT_THREADS` fixes the count. Results
    /// do not depend on the thread count, so a run may change it between steps.
    public static func threadsFollowingLoad(current: Int, othersBusy: Double, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        guard !threadsFromEnvironment, othersBusy.isFinite else { return current }
        let free = Double(cores) - othersBusy
        guard abs(free - Double(current)) > 0.6 else { return current }
        return min(cores, max(1, Int(free.rounded())))
    }

    /// Changes the cap at run time (benchmarks take 1- and N-thread figures in one process).
    public static func setThreads(_ n: Int) {
        _ = threads
        threads = min(max(1, n), EnvironmentSetting.threads.range.upperBound)
    }

    /// Runs `body(i)` for i in 0..<count on up to `threads` threads; `count` is the number of
    /// independent pieces (e.g. images in a batch). Sequential when there is one piece or one thread.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        forEachWorker(count) { i, _ in body(i) }
    }

    /// Like `forEach`, but the body also gets its worker index (0..<workers) so it can use
    /// per-worker scratch buffers; returns the number of workers used. Assignment is static
    /// round-robin: piece i always runs on worker i % workers, so per-worker accumulators see the
    /// same pieces in the same order and results are bit-identical run to run.
    @discardableResult
    public static func forEachWorker(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) -> Int {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { body(i, 0) }
            return 1
        }
        team(workers) { w in
            var i = w
            while i < count {
                body(i, w)
                i += workers
            }
        }
        return workers
    }

    /// Runs `body(i, worker)` for i in 0..<count on up to `threads` threads, each thread taking
    /// the next piece not yet taken: a worker the OS deschedules holds up only the piece it is
    /// running, since the others take the rest. For pieces whose results do not depend on which
    /// thread runs them (each writes its own output); the worker index selects scratch space.
    public static func forEachTaken(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        WorkerPool.shared.run(groups: count, threads: threads, body)
    }

    /// Splits 0..<count into contiguous ranges, one per thread, for memory-bound elementwise
    /// loops; ranges are multiples of 64 elements so chunks start on cache lines. Small inputs
    /// (under `grain` elements) stay on the calling thread.
    public static func forRanges(_ count: Int, grain: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, max(1, count / grain))
        if workers <= 1 {
            body(0..<count)
            return
        }
        let chunk = ((count + workers - 1) / workers + 63) / 64 * 64
        team(workers) { w in
            let lo = min(count, w * chunk)
            let hi = min(count, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(w)` for w in 0..<workers on Descent's threads (`WorkerPool`): each thread
    /// takes the next w not yet taken, so a descheduled thread holds up only the w it runs.
    static func team(_ workers: Int, _ body: (Int) -> Void) {
        WorkerPool.shared.run(groups: workers, threads: workers) { w, _ in body(w) }
    }
}
