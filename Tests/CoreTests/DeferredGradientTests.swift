import XCTest
@testable import DescentCore

/// `backwardDeferringInputGradient` (what a script's `model:backward` calls) gives the same
/// parameter gradients as `backward` at once, and the same input gradient whenever it is read,
/// even after the weights changed and the layer ran other batches in between.
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

    func testDeferredMatchesEagerAfterWeightsChange() throws {
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
            // An optimizer step and another batch before the gradient is read.
            for p in model.parameters { for i in 0..<p.count { p.data[i] *= 1.5 }; p.storage.noteWrite() }
            _ = try model.forward(other)
            _ = try model.backward(other, randn(y.shape, 6))
            XCTAssertEqual(try deferred.tensor().values, eager.values, name)
            XCTAssertTrue(deferred.isComputed, name)
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
