import XCTest
import DescentTestSupport
import Foundation
import DescentCore
@testable import DescentPlugins

/// The bundled schedules at their boundaries, against the formulas in their headers.
final class PluginScheduleTests: PluginTestCase {
    func values(_ name: String, _ hyper: [(String, HyperValue)], _ steps: [Int]) throws -> [Double] {
        let (_, registry) = boot()
        let s = try registry.makeSchedule(name, hyper)
        return try steps.map { try s.at($0) }
    }

    func assertClose(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-12 + 1e-9 * abs(y), "\(a) vs \(b)", file: file, line: line) }
    }

    func testWarmupCosineFollowsOptax() throws {
        // init 0.1, peak 1, warmup 10, decay_steps 110 (warmup included), end 0.01.
        let h: [(String, HyperValue)] = [("init_value", .number(0.1)), ("peak_value", .number(1)), ("warmup_steps", .number(10)),
                                         ("decay_steps", .number(110)), ("end_value", .number(0.01))]
        let cos = { (k: Double) in 0.01 + (1 - 0.01) * 0.5 * (1 + Foundation.cos(Double.pi * k / 100)) }
        assertClose(try values("warmup_cosine", h, [0, 5, 9, 10, 11, 60, 109, 110, 500]),
                    [0.1, 0.55, 0.1 + 0.9 * 0.9, 1, cos(1), cos(50), cos(99), 0.01, 0.01])
    }

    func testOneCycleFollowsPyTorch() throws {
        // max_lr 1, total 100, pct 0.3: initial 0.04, min 4e-6; phase ends at 29 and 99.
        let two = try values("one_cycle", [("max_lr", .number(1)), ("total_steps", .number(100))], [0, 29, 30, 64, 99, 150])
        let down = { (s: Double) in 4e-6 + (1 - 4e-6) / 2 * (1 + Foundation.cos(Double.pi * (s - 29) / 70)) }
        assertClose(two, [0.04, 1, down(30), down(64), 4e-6, 4e-6])
        let three = try values("one_cycle", [("max_lr", .number(1)), ("total_steps", .number(100)), ("three_phase", .bool(true)),
                                             ("anneal_strategy", .string("linear"))], [0, 29, 58, 99])
        assertClose(three, [0.04, 1, 0.04, 4e-6])
    }

    func testTriangularFollowsCyclicLR() throws {
        let h: [(String, HyperValue)] = [("base_lr", .number(1)), ("max_lr", .number(2)), ("step_size_up", .number(10))]
        assertClose(try values("triangular", h, [0, 5, 10, 15, 20, 25]), [1, 1.5, 2, 1.5, 1, 1.5])
        assertClose(try values("triangular", h + [("mode", .string("triangular2"))], [10, 30, 50]), [2, 1.5, 1.25])
        assertClose(try values("triangular", h + [("mode", .string("exp_range")), ("gamma", .number(0.9))], [10]), [1 + pow(0.9, 10)])
        assertClose(try values("triangular", h + [("step_size_down", .number(30))], [10, 25, 40]), [2, 1.5, 1])
    }

    func testStepDecay() throws {
        let h: [(String, HyperValue)] = [("base", .number(0.1)), ("step_size", .number(30)), ("gamma", .number(0.5))]
        assertClose(try values("step_decay", h, [0, 29, 30, 59, 60]), [0.1, 0.1, 0.05, 0.05, 0.025])
    }

    func testBadScheduleHyperparametersFailWithTheirName() throws {
        let (_, registry) = boot()
        let m = message { _ = try registry.makeSchedule("triangular", [("mode", .string("zigzag"))]).at(0) }
        XCTAssertTrue(m.contains("mode must be \"triangular\", \"triangular2\" or \"exp_range\", got \"zigzag\""), m)
        XCTAssertTrue(m.hasPrefix("triangular.at (bundled:scripts/schedules/triangular.lua:15)"), m)
    }
}
