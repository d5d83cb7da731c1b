import Foundation

/// What one training step reports.
public struct StepRecord {
    /// 0-based index of the step.
    public let step: Int
    public let loss: Double
    /// The learning rate the step used.
    public let lr: Double
    /// Seconds since the trainer started.
    public let wallTime: Double
}

/// The native training loop: model + loss + optimizer (+ schedule) over a batch source.
///
/// Each step sets `lr` from the schedule, zeroes gradients, runs forward, the loss and backward,
/// and steps the optimizer. Everything random is seeded by the caller (initial weights, data),
/// so two trainers built from the same seed produce bit-identical loss curves.
public final class Trainer {
    public let model: Module
    public let criterion: Criterion
    public let optimizer: Optimizer
    public let schedule: Schedule?
    /// Steps completed so far (the next step's index).
    public private(set) var step = 0
    /// The step at which someone set `lr` by hand between steps (a REPL in a study's
    /// `on_step`): from then on the schedule no longer overwrites it. Nil while the schedule rules.
    public private(set) var scheduleYieldedAt: Int?
    /// The learning rate the schedule set last, to tell a hand-set one from it.
    private var scheduledLR: Double?
    private let start = Date()

    public init(model: Module, criterion: Criterion, optimizer: Optimizer, schedule: Schedule? = nil) {
        self.model = model
        self.criterion = criterion
        self.optimizer = optimizer
        self.schedule = schedule
    }

    /// One step on one batch.
    @discardableResult
    public func trainStep(input: Tensor, target: Tensor) throws -> StepRecord {
        var lr: Double { if case .number(let v)? = optimizer.hyper["lr"] { return v } else { return .nan } }
        if let schedule, scheduleYieldedAt == nil {
            if let last = scheduledLR, lr.bitPattern != last.bitPattern {
                scheduleYieldedAt = step
            } else {
                let v = try schedule.at(step)
                try optimizer.setHyper("lr", .number(v))
                scheduledLR = v
            }
        }
        let stepLR = lr
        model.zeroGrad()
        let output = try model.forward(input)
        let loss = try criterion.forward(output, target)
        let grad = try criterion.backward(output, target)
        // The data needs no gradient: dropped unread, the first layer's is never computed.
        _ = try model.backwardDeferringInputGradient(input, grad)
        try optimizer.step(model.parameters, model.gradients)
        let record = StepRecord(step: step, loss: loss, lr: stepLR, wallTime: Date().timeIntervalSince(start))
        step += 1
        return record
    }

    /// Continues from a checkpoint: `step` steps done, the schedule's last value and whether
    /// (since when) it yielded to a hand-set learning rate.
    public func resume(step: Int, scheduledLR: Double?, scheduleYieldedAt: Int?) {
        self.step = step
        self.scheduledLR = scheduledLR
        self.scheduleYieldedAt = scheduleYieldedAt
    }

    /// The learning rate the schedule set last (saved in checkpoints).
    public var lastScheduledLR: Double? { scheduledLR }

    /// Runs `steps` steps on batches from `next`, reporting each to `callback`; stops early when
    /// the callback returns false or the loss is not finite (a diverged run).
    public func run(steps: Int, next: () throws -> (input: Tensor, target: Tensor), callback: (StepRecord) -> Bool = { _ in true }) throws {
        for _ in 0..<steps {
            let (x, y) = try next()
            let r = try trainStep(input: x, target: y)
            if !callback(r) || !r.loss.isFinite { return }
        }
    }
}
