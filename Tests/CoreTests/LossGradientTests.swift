import XCTest
@testable import DescentCore

final class LossGradientTests: XCTestCase {
    func testCrossEntropyValueAndGradient() throws {
        let logits = try Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3])
        let target = Tensor([2, 0])
        let expected = ((log(exp(1.0) + exp(2) + exp(3)) - 3) + log(3.0)) / 2
        XCTAssertEqual(try CrossEntropy().forward(logits, target), expected, accuracy: 1e-6)
        try checkLossGradient(CrossEntropy(), output: randn([4, 5]), target: Tensor([0, 4, 2, 1]))
        // Large logits do not overflow.
        XCTAssertEqual(try CrossEntropy().forward(try Tensor([1000, 0], shape: [1, 2]), Tensor([0])), 0, accuracy: 1e-9)
    }

    func testElementwiseLosses() throws {
        let x = randn([3, 4]), t = randn([3, 4], 2)
        var probs = randn([3, 4], 3).mapVectors { $0.lanes { sigmoid($0) } }
        try checkLossGradient(MSE(), output: x, target: t)
        try checkLossGradient(try SmoothL1(beta: 0.5), output: x, target: t, eps: 1e-3)
        try checkLossGradient(BCEWithLogits(), output: x, target: probs)
        probs = probs.mapVectors { Float8().replacing(with: 1, where: $0 .> 0.5) }
        try checkLossGradient(try SigmoidFocalLoss(), output: x, target: probs, eps: 1e-3)
        try checkLossGradient(try SigmoidFocalLoss(alpha: -1, gamma: 0.5, reduction: .sum), output: x, target: probs, eps: 1e-3)
    }

    func testFocalLossReducesToBCEWhenGammaZeroWithoutAlpha() throws {
        let x = randn([10]), t = randn([10], 3).mapVectors { Float8().replacing(with: 1, where: $0 .> 0) }
        XCTAssertEqual(try SigmoidFocalLoss(alpha: -1, gamma: 0).forward(x, t), try BCEWithLogits().forward(x, t), accuracy: 1e-9)
    }

    func testKnownValues() throws {
        XCTAssertEqual(try MSE().forward(Tensor([1, 2]), Tensor([0, 0])), 2.5)
        XCTAssertEqual(try SmoothL1().forward(Tensor([0.5, 3]), Tensor([0, 0])), (0.125 + 2.5) / 2)
        XCTAssertEqual(try BCEWithLogits().forward(Tensor([0]), Tensor([1])), log(2.0), accuracy: 1e-9)
    }

    func testBadTargetsAreErrors() {
        XCTAssertThrowsError(try CrossEntropy().forward(randn([2, 3]), Tensor([0, 3]))) {
            XCTAssertEqual("\($0)", "nn.CrossEntropy: target[2] must be a class index in 0..2, got 3.0")
        }
        XCTAssertThrowsError(try MSE().forward(randn([2, 3]), randn([3, 2]))) {
            XCTAssertEqual("\($0)", "nn.MSE: target of shape [2,3] expected (the output's), got [3,2]")
        }
    }
}
