import XCTest
@testable import DescentCore

/// `backwardDeferringInputGradient` (what a script's `model:backward` and the trainer call) gives
/// the same parameter gradients as `backward` at once, and the same input gradient when it is read
/// later, even after the layer ran other batches; read after its weights or the output gradient
/// were written, it is an error rather than a gradient of other weights.
final class DeferredGradientTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    private func models() throws -> [(String, Module, [Int])] {
        let viaGEMM = try Conv2d(input: 3, output: 4, kernel: (3, 3), padding: (1, 1), rng: &rng)
        let oneDNN = try Conv2d(input: 16, output: 8, kernel: (3, 3), padding: (1, 1), rng: &rng)
        let im2col = try Conv2d(input: 16, output: 8, kernel: (3, 3), stride: (2, 2), rng: &rng)
        im2col.usesOneDNN = false
        let pointwise = try Conv2d(input: 4, output: 6, kernel: (1, 1), rng: &rng)
        pointwise.usesOneDNN = false
        let linear = try Linear(input: 12, output: 5, rng: &rng)
        let cnn = Sequential([try Conv2d(input: 16, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(),
                              try MaxPool2d(kernel: (2, 2)), Flatten(), try Linear(input: 16 * 4 * 4, output: 3, rng: &rng)])
        let rgb = Sequential([try Conv2d(input: 3, output: 8, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), Flatten()])
        return [("conv, GEMM input gradient", viaGEMM, [2, 3, 6, 6]), ("conv on oneDNN", oneDNN, [2, 16, 6, 6]),
                ("conv on im2col", im2col, [2, 16, 7, 7]), ("pointwise conv", pointwise, [2, 4, 5, 5]),
                ("linear", linear, [3, 12]), ("cnn", cnn, [2, 16, 8, 8]), ("rgb cnn", rgb, [2, 3, 5, 5])]
    }

    func testDeferredMatchesEagerAfterOtherBatches() throws {
        for (name, model, shape) in try models() {
            let x = randn(shape, 3), other = randn(shape, 4)
            let y = try model.forward(x)
            let g = randn(y.shape, 5)
            model.zeroGrad()
            let eager = try model.backward(x, g)
            let eagerGrads = model.gradients.map(\.values)

            _ = try model.forward(x)
            model.zeroGrad()
            let deferred = try model.backwardDeferringInputGradient(x, g)
            XCTAssertFalse(deferred.isComputed, name)
            XCTAssertEqual(model.gradients.map(\.values), eagerGrads, name)
            // Another batch through the layer before the gradient is read.
            _ = try model.forward(other)
            _ = try model.backward(other, randn(y.shape, 6))
            XCTAssertEqual(try deferred.tensor().values, eager.values, name)
            XCTAssertTrue(deferred.isComputed, name)
        }
    }

    func testReadingAfterAWriteIsAnError() throws {
        let message = "the input gradient was read after the layer's weights or gradOutput changed (an optimizer step or an in-place write since backward); it is computed when first read, so read it before changing them"
        for (name, model, shape) in try models() {
            for written in ["weights", "gradOutput"] {
                let x = randn(shape, 3)
                let y = try model.forward(x)
                let g = randn(y.shape, 5)
                let deferred = try model.backwardDeferringInputGradient(x, g)
                if written == "weights" {
                    let sgd = try NativeOptimizers.make("sgd", [("lr", .number(0.1))])
                    try sgd.step(model.parameters, model.gradients)
                } else {
                    g.mul_(2)
                }
                if written == "gradOutput" && model is Sequential {
                    // The first layer's gradOutput is the second layer's input gradient, not `g`.
                    XCTAssertNoThrow(try deferred.tensor(), name)
                    continue
                }
                XCTAssertThrowsError(try deferred.tensor(), "\(name), \(written)") { error in
                    XCTAssertTrue("\(error)".hasSuffix(message), "\(name), \(written): \(error)")
                    XCTAssertTrue("\(error)".hasPrefix("nn.Conv2d.backward: ") || "\(error)".hasPrefix("nn.Linear.backward: "), "\(error)")
                }
                // Read before the write, the same gradient is there after it.
                let early = try model.backwardDeferringInputGradient(x, g)
                let value = try early.tensor().values
                g.mul_(2)
                XCTAssertEqual(try early.tensor().values, value, name)
            }
        }
    }

    func testFirstLayerWithoutInputGradientGivesZerosAtOnce() throws {
        let conv = try Conv2d(input: 3, output: 4, kernel: (3, 3), padding: (1, 1), rng: &rng)
        conv.needsInputGradient = false
        let x = randn([2, 3, 5, 5])
        let y = try conv.forward(x)
        let d = try conv.backwardDeferringInputGradient(x, randn(y.shape, 2))
        XCTAssertTrue(d.isComputed)
        XCTAssertEqual(try d.tensor().max(), 0)
    }

    func testLayersThatCannotDeferComputeAtOnce() throws {
        let bn = try BatchNorm2d(channels: 2)
        let x = randn([2, 2, 3, 3])
        let y = try bn.forward(x)
        XCTAssertTrue(try bn.backwardDeferringInputGradient(x, randn(y.shape, 2)).isComputed)
    }
}
