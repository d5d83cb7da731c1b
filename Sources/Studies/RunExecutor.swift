import DescentPlugins
import DescentCore
import Foundation

/// Trains one run and writes its directory: config.json first, metrics.csv at every evaluation
/// and at the end, summary.json last. A NaN/Inf loss marks the run diverged and stops it; an
/// error (a failing Lua plugin, say) marks it failed. Neither stops the study.
struct RunExecutor {
    let spec: RunSpec
    let task: RunTask
    let optimizer: Optimizer
    let schedule: Schedule?

    /// Builds everything the run needs and tries one forward pass, so a bad study stops before
    /// any run trains. Errors name the run.
    init(_ spec: RunSpec, registry: PluginRegistry) throws {
        self.spec = spec
        do {
            task = try RunTask(spec, registry: registry)
            optimizer = try registry.makeOptimizer(spec.optimizer, spec.hyper.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            schedule = try spec.schedule.map { try registry.makeSchedule($0, spec.scheduleArgs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
            _ = try schedule?.at(0)
            var rng = RandomGenerator(seed: 0)
            let (x, y, _) = try task.batch(task.train, [0], augment: Augmentation(), rng: &rng)
            task.model.evaluate()
            defer { task.model.train() }
            _ = try task.criterion.forward(try task.model.forward(x), y)
        } catch {
            throw ContextError("run '\(spec.name)'", error)
        }
    }

    /// `onStep` (a study's Lua `on_step`) sees every step; returning false ends the run early
    /// (status ok), throwing marks it failed.
    func execute(into dir: String, onStep: ((StepRecord, Module, Optimizer) throws -> Bool)? = nil) throws -> RunSummary {
        try AtomicFile.write(try RunFiles.json(spec.json.merging(["versions": ["descent": descentVersion, "lua": "5.4"]]) { $1 }),
                             to: dir + "/config.json")
        let progress = Progress(run: spec.name, total: spec.steps)
        let trainer = Trainer(model: task.model, criterion: task.criterion, optimizer: optimizer, schedule: schedule)
        var rows: [MetricRow] = []
        var summary = RunSummary(name: spec.name, status: .ok, metricName: task.metricName)
        var smoothed: Double? = nil
        let start = Date()
        // The data order depends only on the seed and the batch size: runs differing in
        // anything else see the same batches.
        var order = RandomGenerator(seed: UInt64(spec.seed) &+ 77)
        var augmentRNG = order.split()
        var permutation: [Int] = []
        func nextIndices() -> [Int] {
            var out: [Int] = []
            while out.count < spec.batch {
                if permutation.isEmpty {
                    permutation = Array(0..<task.train.count)
                    for i in stride(from: permutation.count - 1, to: 0, by: -1) { permutation.swapAt(i, order.int(below: i + 1)) }
                }
                out.append(permutation.removeLast())
            }
            return out
        }
        func evaluate(_ step: Int) throws {
            let (metric, loss, perClass) = try task.evaluate(batchSize: max(spec.batch, 32))
            summary.finalPerClass = perClass.isEmpty ? nil : perClass
            rows[rows.count - 1].metric = metric
            rows[rows.count - 1].valLoss = loss
            summary.bestMetric = max(summary.bestMetric ?? -.infinity, metric)
            try AtomicFile.write(RunFiles.csv(rows, metricName: task.metricName), to: dir + "/metrics.csv")
        }
        do {
            for step in 0..<spec.steps {
                let (x, y, _) = try task.batch(task.train, nextIndices(), augment: spec.augment, rng: &augmentRNG)
                let r = try trainer.trainStep(input: x, target: y)
                rows.append(MetricRow(step: step, loss: r.loss, lr: r.lr, time: Date().timeIntervalSince(start)))
                summary.steps = step + 1
                guard r.loss.isFinite else {
                    summary.status = .diverged
                    summary.error = "loss became \(r.loss) at step \(step)"
                    break
                }
                smoothed = smoothed.map { 0.9 * $0 + 0.1 * r.loss } ?? r.loss
                if summary.stepsToThreshold == nil, let s = smoothed, s <= spec.threshold { summary.stepsToThreshold = step + 1 }
                summary.bestLoss = min(summary.bestLoss ?? .infinity, r.loss)
                progress.update(step: step, loss: r.loss, lr: r.lr)
                if let onStep, try !onStep(r, task.model, optimizer) { break }
                if spec.evalEvery > 0, (step + 1) % spec.evalEvery == 0, step + 1 < spec.steps { try evaluate(step) }
            }
            if summary.status == .ok, !rows.isEmpty { try evaluate(spec.steps - 1) }
        } catch {
            summary.status = .failed
            summary.error = "\(error)"
        }
        let tail = rows.suffix(10).map(\.loss).filter(\.isFinite)
        summary.finalLoss = tail.isEmpty ? nil : tail.reduce(0, +) / Double(tail.count)
        summary.seconds = Date().timeIntervalSince(start)
        try AtomicFile.write(RunFiles.csv(rows, metricName: task.metricName), to: dir + "/metrics.csv")
        try AtomicFile.write(try RunFiles.json(summary.json), to: dir + "/summary.json")
        switch summary.status {
        case .ok:
            progress.finish(String(format: "done: final loss %.4g, best %@ %.4g, %.1f s", summary.finalLoss ?? .nan, task.metricName, summary.bestMetric ?? .nan, summary.seconds))
        case .diverged: progress.finish("DIVERGED: \(summary.error ?? "")")
        case .failed: progress.finish("FAILED: \(summary.error ?? "")")
        }
        return summary
    }
}

/// The version written into every config.json.
public let descentVersion = "0.1.0"
