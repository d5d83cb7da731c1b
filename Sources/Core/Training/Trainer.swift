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
    private let start = Date()

    public init(model: Module, criterion: Criterion, optimizer: Optimizer, schedule: Schedule? = nil) {
        self.model = model
        self.criterion = criterion
        self.optimizer = optimizer
        self.schedule = schedule
        // The data needs no gradient: the first layer can skip its input-gradient GEMM.
        model.needsInputGradient = false
    }

    /// One step on one batch.
    @discardableResult
    public func trainStep(input: Tensor, target: Tensor) throws -> StepRecord {
        if let schedule { try optimizer.setHyper("lr", .number(schedule.at(step))) }
        let lr: Double
        if case .number(let v)? = optimizer.hyper["lr"] { lr = v } else { lr = .nan }
        model.zeroGrad()
        let output = try model.forward(input)
        let loss = try criterion.forward(output, target)
        let grad = try criterion.backward(output, target)
        _ = try model.backward(input, grad)
        try optimizer.step(model.parameters, model.gradients)
        let record = StepRecord(step: step, loss: loss, lr: lr, wallTime: Date().timeIntervalSince(start))
        step += 1
        return record
    }

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
