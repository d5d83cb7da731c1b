import XCTest
@testable import DescentCore

/// Schedules at 0, at each boundary, just before and after it, and past the end.
final class ScheduleTests: XCTestCase {
    func values(_ name: String, _ h: [(String, HyperValue)], _ steps: [Int]) throws -> [Double] {
        let s = try NativeSchedules.make(name, h)
        return try steps.map { try s.at($0) }
    }

    func assertClose(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-12, file: file, line: line) }
    }

    func testCosineDecayWithWarmupAndHold() throws {
        let h: [(String, HyperValue)] = [("base", .number(0.04)), ("total_steps", .number(100)), ("warmup_lr", .number(0.01)),
                                         ("warmup_steps", .number(10)), ("hold_steps", .number(5))]
        let cos = { (s: Double) in 0.5 * 0.04 * (1 + Foundation.cos(Double.pi * (s - 15) / 85)) }
        assertClose(try values("cosine_decay", h, [0, 5, 9, 10, 15, 16, 50, 99, 100, 101, 1000]),
                    [0.01, 0.025, 0.01 + 0.03 * 0.9, 0.04, 0.04, cos(16), cos(50), cos(99), 0, 0, 0])
        // Without hold the warmup ends in the cosine, which starts at base.
        assertClose(try values("cosine_decay", [("base", .number(1)), ("total_steps", .number(10)), ("warmup_steps", .number(2))], [0, 1, 2, 10]),
                    [0, 0.5, 1, 0])
    }

    func testCosineDecayRejectsBaseBelowWarmup() {
        XCTAssertThrowsError(try NativeSchedules.make("cosine_decay", [("base", .number(0.01)), ("warmup_lr", .number(0.1)), ("warmup_steps", .number(10))])) {
            XCTAssertEqual("\($0)", "cosine_decay: base must be >= warmup_lr (0.1), got 0.01")
        }
        XCTAssertThrowsError(try NativeSchedules.make("cosine_decay", [("total_steps", .number(10)), ("warmup_steps", .number(10))])) {
            XCTAssertEqual("\($0)", "cosine_decay: total_steps must be larger than warmup_steps + hold_steps (10.0), got 10.0")
        }
    }

    func testExponentialDecay() throws {
        let h: [(String, HyperValue)] = [("base", .number(1)), ("decay_steps", .number(10)), ("rate", .number(0.5))]
        assertClose(try values("exponential_decay", h, [0, 9, 10, 19, 20]), [1, 1, 0.5, 0.5, 0.25])
        assertClose(try values("exponential_decay", h + [("staircase", .bool(false))], [0, 5, 10]), [1, pow(0.5, 0.5), 0.5])
        let burn = h + [("burnin_lr", .number(0.1)), ("burnin_steps", .number(5)), ("min_lr", .number(0.3))]
        assertClose(try values("exponential_decay", burn, [0, 4, 5, 14, 15, 25, 100]), [0.1, 0.1, 1, 1, 0.5, 0.3, 0.3])
        // burnin_lr 0 means the base rate during burn-in (TF OD API).
        assertClose(try values("exponential_decay", h + [("burnin_steps", .number(5))], [0]), [1])
    }

    func testPiecewiseWithAndWithoutWarmup() throws {
        let h: [(String, HyperValue)] = [("boundaries", .list([10, 20])), ("values", .list([0.1, 0.01, 0.001]))]
        assertClose(try values("piecewise", h, [0, 9, 10, 19, 20, 1000]), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
        assertClose(try values("piecewise", h + [("warmup", .bool(true))], [0, 5, 9, 10, 20]), [0.1, 0.1 - 0.09 * 0.5, 0.1 - 0.09 * 0.9, 0.01, 0.001])
        XCTAssertThrowsError(try NativeSchedules.make("piecewise", [("boundaries", .list([10])), ("values", .list([1]))])) {
            XCTAssertEqual("\($0)", "piecewise: values must have one more entry than boundaries (2), got 1")
        }
        XCTAssertThrowsError(try NativeSchedules.make("piecewise", [("boundaries", .list([10, 5])), ("values", .list([1, 2, 3]))]))
    }

    func testInverseTimeLinearWarmupConstant() throws {
        assertClose(try values("inverse_time", [("base", .number(1)), ("decay", .number(0.5))], [0, 1, 2]), [1, 1 / 1.5, 0.5])
        assertClose(try values("linear_warmup", [("base", .number(1)), ("warmup_steps", .number(4))], [0, 2, 3, 4, 100]), [0, 0.5, 0.75, 1, 1])
        assertClose(try values("constant", [("base", .number(0.3))], [0, 1000]), [0.3, 0.3])
        XCTAssertThrowsError(try NativeSchedules.make("constant", [("base", .number(-1))])) { XCTAssertEqual("\($0)", "constant: base must be >= 0.0, got -1.0") }
        XCTAssertThrowsError(try NativeSchedules.make("constant").at(-1)) { XCTAssertEqual("\($0)", "constant.at: step must be >= 0, got -1") }
    }
}
