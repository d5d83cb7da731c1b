import DescentCore
import Foundation

/// Everything of a run's training loop besides the model and the optimizer: the data stream
/// (shuffling and augmentation generators, what is left of the current epoch), the metrics so
/// far and the running figures of the summary. A checkpoint holds it, so a resumed run draws the
/// same batches and ends with the same metrics.csv as one that was never stopped.
struct RunState: Codable {
    /// Steps completed.
    var step = 0
    var order: [UInt64]
    var augment: [UInt64]
    /// Sample indices left in the current epoch (taken from the end).
    var permutation: [Int] = []
    var rows: [MetricRow] = []
    var smoothed: Double?
    var stepsToThreshold: Int?
    var bestLoss: Double?
    var bestMetric: Double?
    var finalPerClass: [String: Double]?
    /// Training seconds before this process took over.
    var seconds = 0.0
    /// The schedule's last value and the step a hand-set learning rate replaced it (Trainer).
    var scheduledLR: Double?
    var scheduleYieldedAt: Int?
    /// Hyperparameters changed by hand between steps, in order.
    var edits: [LiveEdit] = []
    /// The thread count at the last checkpoint, for the record: results do not depend on it, and
    /// a resumed run picks its own from the machine's load.
    var threads = Parallel.threads
    /// When the run first started (seconds since 1970): event wall times count from it.
    var started = Date().timeIntervalSince1970
    /// The TensorBoard event file's length and how many rows it holds.
    var eventsBytes = 0
    var eventsRows = 0

    /// A fresh run: the data order depends only on the seed (and the batch size), so runs that
    /// differ in anything else see the same batches.
    init(seed: Int) {
        var order = RandomGenerator(seed: UInt64(seed) &+ 77)
        augment = order.split().words
        self.order = order.words
    }

    /// The next batch's sample indices, reshuffling at each epoch's end.
    mutating func nextIndices(batch: Int, of count: Int) throws -> [Int] {
        var rng = try RandomGenerator(words: order)
        defer { order = rng.words }
        var out: [Int] = []
        while out.count < batch {
            if permutation.isEmpty {
                permutation = Array(0..<count)
                for i in stride(from: permutation.count - 1, to: 0, by: -1) { permutation.swapAt(i, rng.int(below: i + 1)) }
            }
            out.append(permutation.removeLast())
        }
        return out
    }

    /// Records a finished training step's loss; false when the run diverged.
    mutating func record(step: Int, loss: Double, lr: Double, time: Double, threshold: Double) {
        rows.append(MetricRow(step: step, loss: loss, lr: lr, time: time))
        self.step = step + 1
        guard loss.isFinite else { return }
        smoothed = smoothed.map { 0.9 * $0 + 0.1 * loss } ?? loss
        if stepsToThreshold == nil, let s = smoothed, s <= threshold { stepsToThreshold = step + 1 }
        bestLoss = min(bestLoss ?? .infinity, loss)
    }

    /// Mean of the last ten finite losses.
    var finalLoss: Double? {
        let tail = rows.suffix(10).map(\.loss).filter(\.isFinite)
        return tail.isEmpty ? nil : tail.reduce(0, +) / Double(tail.count)
    }

    /// Exact JSON (non-finite numbers as strings), for a checkpoint entry.
    func encoded() throws -> String {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    /// Checks every field against the run it is to continue (`steps`, the training set's
    /// `samples`, the length of the event file of a start time): a checkpoint is input like any file, since a shared
    /// `--out` or a copied folder may hold one written by someone else. A CRC only catches accidents.
    func validate(steps: Int, samples: Int, path: String, eventFileBytes: (Double) throws -> Int) throws {
        func fail(_ reason: String) -> Error { DescentError.file(path, "the run's loop state is invalid: \(reason)") }
        func finite(_ name: String, _ v: Double?) throws { if let v, !v.isFinite { throw fail("\(name) is \(v)") } }
        guard (0...steps).contains(step) else { throw fail("step \(step) is not in 0...\(steps)") }
        guard rows.count == step else { throw fail("\(rows.count) metric rows for \(step) steps") }
        for (i, r) in rows.enumerated() {
            guard r.step == i, r.time.isFinite, r.time >= 0, !r.lr.isNaN else { throw fail("metric row \(i + 1) is malformed") }
            try finite("metric of row \(i + 1)", r.metric)
            try finite("val_loss of row \(i + 1)", r.valLoss)
        }
        guard permutation.count <= samples, permutation.allSatisfy({ (0..<samples).contains($0) }) else {
            throw fail("the epoch's sample order is not a subset of 0..<\(samples)")
        }
        guard Set(permutation).count == permutation.count else { throw fail("the epoch's sample order repeats a sample") }
        try finite("smoothed", smoothed)
        try finite("best_loss", bestLoss)
        try finite("best_metric", bestMetric)
        try finite("scheduled lr", scheduledLR)
        for v in (finalPerClass ?? [:]).values { try finite("a per-class metric", v) }
        if let s = stepsToThreshold, !(1...max(step, 1)).contains(s) { throw fail("steps to threshold \(s) is not in 1...\(step)") }
        if let s = scheduleYieldedAt, !(0...step).contains(s) { throw fail("schedule yielded at \(s), not in 0...\(step)") }
        guard seconds.isFinite, seconds >= 0 else { throw fail("training seconds \(seconds)") }
        let allowed = EnvironmentSetting.threads.range
        guard allowed.contains(threads) else { throw fail("thread count \(threads) is not in \(allowed)") }
        // Event wall times and the event file's name derive from it: 1970 to a day from now.
        guard started.isFinite, started >= 0, started <= Date().timeIntervalSince1970 + 86_400 else { throw fail("start time \(started)") }
        guard (0...rows.count).contains(eventsRows) else { throw fail("\(eventsRows) event rows for \(rows.count) metric rows") }
        let fileBytes = try eventFileBytes(started)
        guard eventsBytes >= 0, eventsBytes <= fileBytes else {
            throw fail("event file length \(eventsBytes) is beyond the file's \(fileBytes) bytes")
        }
        for e in edits {
            guard (0...step).contains(e.step), [e.key, e.from, e.to].allSatisfy({ $0.utf8.count <= 1024 }) else { throw fail("a live edit is malformed") }
        }
    }

    static func decode(_ text: String, path: String) throws -> RunState {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            let state = try d.decode(RunState.self, from: Data(text.utf8))
            _ = try RandomGenerator(words: state.order)
            _ = try RandomGenerator(words: state.augment)
            return state
        } catch {
            throw DescentError.file(path, "the run's loop state is unreadable (\(error))")
        }
    }
}

/// A hyperparameter set by hand between steps: `lr` from 0.01 to 1e-4 after step 120.
struct LiveEdit: Codable, Equatable {
    var step: Int
    var key: String
    var from: String
    var to: String

    var json: [String: Any] { ["after_step": step, "key": key, "from": from, "to": to] }
}
