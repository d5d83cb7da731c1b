import XCTest
import Foundation
@testable import DescentCore

/// Descent's thread pool: every piece runs once, nested loops run inline, a thread the OS would
/// deschedule does not hold up a step, and training gives the same bits at any thread count.
final class WorkerPoolTests: XCTestCase {
    override func tearDown() {
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)
    }

    func testEveryGroupRunsOnceOnAThreadOfTheJob() {
        Parallel.setThreads(2)
        for groups in [0, 1, 2, 3, 100] {
            let lock = NSLock()
            var runs = Array(repeating: 0, count: groups), slots = Set<Int>()
            WorkerPool.shared.run(groups: groups, threads: 2) { g, slot in
                lock.withLock { runs[g] += 1; slots.insert(slot) }
            }
            XCTAssertEqual(runs, Array(repeating: 1, count: groups), "\(groups) groups")
            XCTAssertTrue(slots.isSubset(of: [0, 1]), "\(slots)")
        }
    }

    func testNestedLoopsRunInline() {
        Parallel.setThreads(2)
        let lock = NSLock()
        var sum = 0
        Parallel.forEach(8) { i in
            var inner = 0
            Parallel.forEach(10) { j in inner += j }   // inline: no lock needed for `inner`
            lock.withLock { sum += i * inner }
        }
        XCTAssertEqual(sum, 45 * 28)
    }

    /// Pool threads leave signals sent to the process to other threads (a handler run on a
    /// thread inside oneDNN's JIT code would write into the heap); faults stay theirs.
    func testPoolThreadsBlockSignalsSentToTheProcess() throws {
        Parallel.setThreads(2)
        WorkerPool.shared.run(groups: 4, threads: 2) { _, _ in }
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let worker = tasks.first { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.hasPrefix("descent-pool") == true }
        let status = try String(contentsOfFile: "/proc/self/task/\(try XCTUnwrap(worker, "no pool thread"))/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
        let mask = try XCTUnwrap(UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        func blocked(_ s: Int32) -> Bool { mask & (1 << UInt64(s - 1)) != 0 }
        for s in [SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGPIPE, SIGPROF, SIGALRM] { XCTAssertTrue(blocked(s), "signal \(s) reaches a pool thread") }
        for s in [SIGSEGV, SIGBUS, SIGFPE, SIGILL] { XCTAssertFalse(blocked(s), "fault \(s) blocked") }
    }

    /// ReferenceCNN steps at 16x16: a step's losses and weights, after `steps` Adam steps.
    private func train(threads: Int, steps: Int = 3) throws -> (losses: [Double], weights: [[Float]]) {
        Parallel.setThreads(threads)
        let model = try ReferenceCNN.make(size: 16, seed: 5)
        // Clipped by the global norm: a reduction over every parameter, on the pool.
        let trainer = Trainer(model: model, criterion: CrossEntropy(), optimizer: try Adam(overrides: [("clip_norm", .number(0.5))]))
        let (x, y) = try ReferenceCNN.batch(size: 16, batch: 32, seed: 6)
        var losses: [Double] = []
        for _ in 0..<steps { losses.append(try trainer.trainStep(input: x, target: y).loss) }
        return (losses, model.parameters.map { Array(UnsafeBufferPointer(start: $0.data, count: $0.count)) })
    }

    /// The convolutions run a batch in chunks of fixed size whichever thread takes them, and add
    /// the weight gradient's partial sums in chunk order: the thread count changes no bit.
    func testTrainingGivesTheSameBitsAtAnyThreadCount() throws {
        let one = try train(threads: 1)
        for threads in [2, 3] {
            let many = try train(threads: threads)
            XCTAssertEqual(many.losses, one.losses, "\(threads) threads")
            XCTAssertTrue(many.weights == one.weights, "weights differ at \(threads) threads")
        }
    }

    /// A run may change its thread count between steps (following the machine's load): the
    /// steps after the change give the bits they would have given.
    func testChangingTheThreadCountBetweenStepsChangesNoBit() throws {
        func run(_ counts: [Int]) throws -> [Double] {
            let model = try ReferenceCNN.make(size: 16, seed: 5)
            let trainer = Trainer(model: model, criterion: CrossEntropy(), optimizer: try Adam())
            let (x, y) = try ReferenceCNN.batch(size: 16, batch: 32, seed: 6)
            return try counts.map { n in
                Parallel.setThreads(n)
                return try trainer.trainStep(input: x, target: y).loss
            }
        }
        XCTAssertEqual(try run([2, 2, 1, 1, 2, 2]), try run([1, 1, 1, 1, 1, 1]))
    }

    /// The load-following rule: free cores rounded, with 0.6 of a core of slack either way, and
    /// nothing when DESCENT_THREADS fixes the count.
    func testThreadsFollowTheLoadWithSlack() {
        let saved = ProcessInfo.processInfo.environment["DESCENT_THREADS"]
        defer { if let saved { setenv("DESCENT_THREADS", saved, 1) } }
        unsetenv("DESCENT_THREADS")
        let cases: [(current: Int, others: Double, cores: Int, expected: Int)] = [
            (2, 0.0, 2, 2), (2, 0.5, 2, 2), (2, 0.7, 2, 1), (2, 1.9, 2, 1),   // a neighbour takes a core
            (1, 1.0, 2, 1), (1, 0.5, 2, 1), (1, 0.3, 2, 2), (1, 0.0, 2, 2),   // and leaves it
            (8, 2.2, 8, 6), (4, 0.0, 8, 8), (3, .nan, 4, 3), (2, 9.0, 4, 1),
        ]
        for c in cases {
            XCTAssertEqual(Parallel.threadsFollowingLoad(current: c.current, othersBusy: c.others, cores: c.cores), c.expected, "\(c)")
        }
        setenv("DESCENT_THREADS", "2", 1)
        XCTAssertEqual(Parallel.threadsFollowingLoad(current: 2, othersBusy: 1.9, cores: 2), 2)
        if saved == nil { unsetenv("DESCENT_THREADS") }
        var monitor = CoreLoad.Monitor()
        usleep(50_000)
        if let others = monitor.othersBusy() { XCTAssertTrue(others >= 0 && others.isFinite, "\(others)") }
    }

    /// A pool thread that sleeps when it should work (as one the OS descheduled for another
    /// process) does not hold up the step: the calling thread takes its share. Compared with the
    /// same step at one thread, not with a fixed time.
    func testAStalledThreadDoesNotHoldUpTheStep() throws {
        let model = try ReferenceCNN.make(size: 32, seed: 5)
        let trainer = Trainer(model: model, criterion: CrossEntropy(), optimizer: try Adam())
        let (x, y) = try ReferenceCNN.batch(size: 32, batch: 32, seed: 6)
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        Parallel.setThreads(1)
        _ = try trainer.trainStep(input: x, target: y)
        let oneThread = try (0..<3).map { _ in try seconds { _ = try trainer.trainStep(input: x, target: y) } }.sorted()[1]
        Parallel.setThreads(2)
        _ = try trainer.trainStep(input: x, target: y)
        let stall = max(0.3, 5 * oneThread)
        WorkerPool.shared.stallNextJobMicroseconds.store(Int(stall * 1e6), ordering: .relaxed)
        let stalled = try seconds { _ = try trainer.trainStep(input: x, target: y) }
        XCTAssertLessThan(stalled, stall, "the step waited for the stalled thread")
        XCTAssertLessThan(stalled, 2 * oneThread + 0.05, "one thread: \(oneThread) s, with a stalled second thread: \(stalled) s")
        usleep(UInt32(stall * 1e6))   // let the stalled thread wake before other tests
    }
}

/// How a convolution cuts its batch: by the batch and the layer's size only.
final class ConvolutionChunksTests: XCTestCase {
    func testChunksFollowTheBatchAndTheCacheBudget() {
        // The reference CNN's layers at batch 32: 3->16 at 64x64, 16->32 at 32x32, 32->64 at 16x16.
        let perImage = { (cin: Int, cout: Int, side: Int) in 4 * (cin + cout) * side * side }
        XCTAssertEqual(ConvolutionChunks(batch: 32, imageBytes: perImage(3, 16, 64)).images, 4)
        XCTAssertEqual(ConvolutionChunks(batch: 32, imageBytes: perImage(16, 32, 32)).images, 4)
        XCTAssertEqual(ConvolutionChunks(batch: 32, imageBytes: perImage(32, 64, 16)).images, 8)
        let detector = ConvolutionChunks(batch: 16, imageBytes: perImage(64, 64, 8))
        XCTAssertEqual([detector.images, detector.count], [8, 2])
        let ragged = ConvolutionChunks(batch: 9, imageBytes: 100)
        XCTAssertEqual([ragged.images, ragged.count], [8, 2])
        XCTAssertEqual(ragged.sizes, [8, 1])
        XCTAssertTrue(ragged.chunk(1) == (8, 1))
        XCTAssertEqual(ConvolutionChunks(batch: 3, imageBytes: 100).sizes, [3])
        XCTAssertEqual(ConvolutionChunks(batch: 64, imageBytes: 10 << 20).images, 4)   // never fewer than 4
        XCTAssertEqual(ConvolutionChunks(batch: 33, imageBytes: 100).sizes, [8, 1])
    }
}
