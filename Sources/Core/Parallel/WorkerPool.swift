import CKernels
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Descent's threads: the calling thread and up to `threads - 1` pool threads run a job's
/// groups, each thread taking the next group no thread has taken, and the caller returns when
/// every group is done — it waits for work, never for a thread to arrive.
///
/// Why not OpenMP's team, which Descent used before: a parallel region ends in a barrier every
/// member must reach, so a member the OS deschedules (another process on its core) stalls the
/// step until it runs again; a training step has dozens of regions. Here a thread that wakes
/// late finds its groups taken and goes back to waiting. oneDNN runs one-thread primitives
/// inside the groups (`OneDNN.useOneThread`), so these are the only threads that compute.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle pool thread spins on the job counter, then polls it yielding the core
    /// to anything else runnable, before it sleeps: many jobs take only tens of microseconds, so
    /// a thread slow to notice one leaves all of it to the caller, and a sleeping thread takes
    /// tens of microseconds to wake. With 0.3 ms before sleeping, the main job's detector
    /// (serial stretches of data and evaluation between its jobs) trained 8-13% slower than on
    /// OpenMP's team; with 3 ms, as fast (12.7-13.1 against 12.7-13.0 s, 300 steps, in turn).
    private static let spinNanoseconds: UInt64 = 50_000
    private static let pollNanoseconds: UInt64 = 3_000_000

    private final class Job: @unchecked Sendable {
        let groups: Int
        /// Threads (slots 0..<threads) that may take groups.
        let threads: Int
        private let next = Atomic<Int>(0)
        private let done = Atomic<Int>(0)
        var body: ((_ group: Int, _ slot: Int) -> Void)?

        init(groups: Int, threads: Int, body: @escaping (Int, Int) -> Void) {
            (self.groups, self.threads, self.body) = (groups, threads, body)
        }

        /// Runs groups until none is left to take.
        func work(slot: Int) {
            while case let g = next.wrappingAdd(1, ordering: .relaxed).oldValue, g < groups {
                do {
                    let run = body!
                    run(g, slot)
                }
                done.wrappingAdd(1, ordering: .releasing)
            }
        }

        var finished: Bool { done.load(ordering: .acquiring) >= groups }
    }

    private let condition = NSCondition()
    /// The current job (under `condition`) and how many have been published.
    private var job: Job?
    private let published = Atomic<Int>(0)
    /// Pool threads started so far (slots 1...started), under `condition`.
    private var started = 0
    /// Set while a caller runs a job: a second caller (another thread) runs its groups itself.
    private let busy = Atomic<Bool>(false)
    /// Test hook: the next time pool thread 1 takes a job it first sleeps this many microseconds,
    /// as a thread the OS descheduled would.
    let stallNextJobMicroseconds = Atomic<Int>(0)

    /// Runs `body(group, slot)` for every group in 0..<groups on up to `threads` threads; `slot`
    /// (0..<threads) says which thread, for per-thread scratch space. A group runs on one thread
    /// at a time. Nested calls, and calls while another thread's job runs, run inline.
    func run(groups: Int, threads: Int, _ body: (_ group: Int, _ slot: Int) -> Void) {
        let threads = min(threads, groups)
        guard threads > 1, !InsideJob.isSet, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for g in 0..<groups { body(g, 0) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            let job = Job(groups: groups, threads: threads, body: body)
            condition.lock()
            while started < threads - 1 {
                started += 1
                let slot = started
                Thread { [unowned self] in self.serve(slot: slot) }.start()
            }
            self.job = job
            published.wrappingAdd(1, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            InsideJob.set(true)
            job.work(slot: 0)
            InsideJob.set(false)
            // Only groups other threads are running are left: spin, yielding now and then in
            // case one of them waits for this core.
            var spins = 0
            while !job.finished {
                spins += 1
                if spins & 63 == 0 { sched_yield() } else { descent_cpu_relax() }
            }
            condition.lock()
            self.job = nil
            condition.unlock()
            job.body = nil
        }
    }

    /// A pool thread: polls, then sleeps, until a job is published; takes groups while any are left.
    private func serve(slot: Int) {
        Self.blockAsynchronousSignals()
        Thread.current.name = "descent-pool-\(slot)"   // as `top -H` and /proc show it (15 bytes at most)
        Parallel.prepareThread()
        OneDNN.useOneThread()
        InsideJob.set(true)
        var seen = 0
        while true {
            if published.load(ordering: .acquiring) == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while published.load(ordering: .acquiring) == seen {
                    spins += 1
                    if spins & 63 == 0 {
                        let waited = DispatchTime.now().uptimeNanoseconds - start
                        if waited >= Self.pollNanoseconds { break }
                        if waited >= Self.spinNanoseconds { sched_yield(); continue }
                    }
                    descent_cpu_relax()
                }
            }
            condition.lock()
            while published.load(ordering: .acquiring) == seen { condition.wait() }
            seen = published.load(ordering: .acquiring)
            let job = self.job
            condition.unlock()
            guard let job, slot < job.threads else { continue }
            if slot == 1, case let us = stallNextJobMicroseconds.exchange(0, ordering: .relaxed), us > 0 { usleep(UInt32(us)) }
            job.work(slot: slot)
        }
    }
}

extension WorkerPool {
    /// Leaves every signal sent to the process to the other threads: a pool thread runs
    /// oneDNN's JIT kernels, whose stack pointer may point into the heap while they run, and a
    /// handler run there would write its frame into the heap (oneDNN issue 4845). Faults the
    /// thread itself raises still reach it.
    fileprivate static func blockAsynchronousSignals() {
        var set = sigset_t()
        sigfillset(&set)
        for s in [SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT] { sigdelset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}

/// Whether the calling thread is running a job's group (its own parallel calls then run inline).
private enum InsideJob {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var isSet: Bool { pthread_getspecific(key) != nil }
    static func set(_ on: Bool) { pthread_setspecific(key, on ? UnsafeRawPointer(bitPattern: 1) : nil) }
}
