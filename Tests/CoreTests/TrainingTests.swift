import XCTest
@testable import DescentCore

final class TrainingTests: XCTestCase {
    /// A separable task: class 0 images are bright on the left half, class 1 on the right.
    func separableBatch(_ rng: inout RandomGenerator, n: Int = 16, size: Int = 8) throws -> (Tensor, Tensor) {
        let x = try Tensor.randn([n, 3, size, size], rng: &rng).multiplying(0.3)
        let y = Tensor(zeros: [n])
        for i in 0..<n {
            let c = rng.int(below: 2)
            y.data[i] = Float(c)
            for ch in 0..<3 { for r in 0..<size { for col in 0..<size / 2 {
                x.data[((i * 3 + ch) * size + r) * size + col + c * size / 2] += 1
            } } }
        }
        return (x, y)
    }

    func trainSmallCNN(seed: UInt64, steps: Int) throws -> [Double] {
        let model = try ReferenceCNN.make(size: 8, seed: seed)
        let trainer = Trainer(model: model, criterion: CrossEntropy(), optimizer: try Adam(overrides: [("lr", .number(3e-3))]),
                              schedule: try NativeSchedules.make("cosine_decay", [("base", .number(3e-3)), ("total_steps", .number(Double(steps))), ("warmup_steps", .number(5))]))
        var rng = RandomGenerator(seed: seed + 100)
        var losses: [Double] = []
        try trainer.run(steps: steps, next: { try separableBatch(&rng) }) { losses.append($0.loss); return true }
        return losses
    }

    func testSameSeedGivesBitIdenticalLosses() throws {
        let a = try trainSmallCNN(seed: 3, steps: 15), b = try trainSmallCNN(seed: 3, steps: 15)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try trainSmallCNN(seed: 4, steps: 15))
    }

    func testSmallCNNLearnsSeparableTask() throws {
        let losses = try trainSmallCNN(seed: 1, steps: 120)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, 0.1 * first, "loss should fall by 90%: \(first) -> \(last)")
    }

    func testTrainerReportsScheduledLearningRate() throws {
        let model = Sequential([try Linear(input: 2, output: 2, rng: &rngForTest)])
        let trainer = Trainer(model: model, criterion: MSE(), optimizer: try SGD(),
                              schedule: try NativeSchedules.make("inverse_time", [("base", .number(1)), ("decay", .number(1))]))
        let x = Tensor(zeros: [1, 2]), t = Tensor(zeros: [1, 2])
        XCTAssertEqual(try trainer.trainStep(input: x, target: t).lr, 1)
        XCTAssertEqual(try trainer.trainStep(input: x, target: t).lr, 0.5)
    }
}

private var rngForTest = RandomGenerator(seed: 1)
