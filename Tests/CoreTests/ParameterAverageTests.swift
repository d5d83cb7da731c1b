import XCTest
@testable import DescentCore

/// `optim.ema` against hand-computed averages: the fixed decay and TF's dynamic one,
/// min(decay, (1 + t) / (10 + t)).
final class ParameterAverageTests: XCTestCase {
    /// SGD with lr 1 on gradient −1 moves p to 1, 2, 3; the averages start from the first.
    func averages(decay: Double, dynamic: Bool) throws -> [Float] {
        let p = Tensor([0]), g = Tensor([-1])
        let average = try ParameterAverage(decay: decay, dynamic: dynamic)
        let chain = try OptimizerChain([average], try SGD(overrides: [("lr", .number(1))]))
        var out: [Float] = []
        for _ in 0..<3 {
            try chain.step([p], [g])
            try average.swap([p])
            out.append(p.data[0])
            try average.swap([p])
        }
        return out
    }

    func testFixedDecay() throws {
        // 1; 0.9·1 + 0.1·2 = 1.1; 0.9·1.1 + 0.1·3 = 1.29.
        let a = try averages(decay: 0.9, dynamic: false)
        XCTAssertEqual(a[0], 1)
        XCTAssertEqual(a[1], 1.1, accuracy: 1e-6)
        XCTAssertEqual(a[2], 1.29, accuracy: 1e-6)
    }

    func testDynamicDecayFollowsTF() throws {
        // Step 2: min(0.9, 3/12) = 0.25: 0.25·1 + 0.75·2 = 1.75. Step 3: 4/13: (4/13)·1.75 + (9/13)·3.
        let a = try averages(decay: 0.9, dynamic: true)
        XCTAssertEqual(a[1], 1.75, accuracy: 1e-6)
        XCTAssertEqual(a[2], Float(4.0 / 13 * 1.75 + 9.0 / 13 * 3), accuracy: 1e-6)
        XCTAssertEqual(ParameterAverage.decay(0.9999, dynamic: true, step: 300), 301.0 / 310)
        XCTAssertEqual(ParameterAverage.decay(0.9, dynamic: true, step: 1000), 0.9, "the decay caps it")
        XCTAssertEqual(ParameterAverage.decay(0.9999, dynamic: false, step: 3), 0.9999)
    }
}
