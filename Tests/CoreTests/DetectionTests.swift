import XCTest
@testable import DescentCore

final class DetectionTests: XCTestCase {
    func box(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ c: Int = 0) -> Box { Box(x1: x1, y1: y1, x2: x2, y2: y2, label: c) }
    func det(_ b: Box, _ s: Double) -> Detection { Detection(box: b, score: s) }

    func testMeanAPHandBuiltCases() {
        let gt = [[box(0, 0, 10, 10), box(20, 20, 30, 30)], [box(0, 0, 10, 10, 1)]]
        func ap(_ d: [[Detection]]) -> MeanAveragePrecision.Result { MeanAveragePrecision.evaluate(detections: d, truth: gt, classes: 2) }
        // Perfect.
        XCTAssertEqual(ap([[det(box(0, 0, 10, 10), 0.9), det(box(20, 20, 30, 30), 0.8)], [det(box(0, 0, 10, 10, 1), 0.7)]]).mean, 1)
        // One of class 0's two objects missed: recall stops at 0.5 -> AP 0.5; class 1 perfect -> mean 0.75.
        let miss = ap([[det(box(0, 0, 10, 10), 0.9)], [det(box(0, 0, 10, 10, 1), 0.7)]])
        XCTAssertEqual(miss.perClass[0]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(miss.mean, 0.75, accuracy: 1e-12)
        // A duplicate ranked below both hits is a false positive after full recall: AP stays 1.
        XCTAssertEqual(ap([[det(box(0, 0, 10, 10), 0.9), det(box(20, 20, 30, 30), 0.8), det(box(0, 0, 10, 10), 0.5)], [det(box(0, 0, 10, 10, 1), 0.7)]]).mean, 1)
        // A duplicate ranked first of class 0 (between the hits): precision 1, 1/2, 2/3 -> AP = 0.5*1 + 0.5*(2/3).
        let dup = ap([[det(box(0, 0, 10, 10), 0.9), det(box(0, 0, 10, 10), 0.85), det(box(20, 20, 30, 30), 0.8)], []])
        XCTAssertEqual(dup.perClass[0]!, 0.5 + 0.5 * 2 / 3, accuracy: 1e-12)
        // Right place, wrong class: class 1 gets nothing, class 0 gets a false positive.
        let wrong = ap([[], [det(box(0, 0, 10, 10, 0), 0.9)]])
        XCTAssertEqual(wrong.perClass[0]!, 0)
        XCTAssertEqual(wrong.perClass[1]!, 0)
        // IoU just over and just under 0.5: a 10x10 box shifted right by d has IoU (10-d)/(10+d).
        let over = box(3.3, 0, 13.3, 10), under = box(3.4, 0, 13.4, 10)
        XCTAssertGreaterThan(over.iou(box(0, 0, 10, 10)), 0.5)
        XCTAssertLessThan(under.iou(box(0, 0, 10, 10)), 0.5)
        let single = [[box(0, 0, 10, 10)]]
        XCTAssertEqual(MeanAveragePrecision.evaluate(detections: [[det(over, 1)]], truth: single, classes: 1).mean, 1)
        XCTAssertEqual(MeanAveragePrecision.evaluate(detections: [[det(under, 1)]], truth: single, classes: 1).mean, 0)
    }

    func testEncodeDecodeRoundTripAndNMS() throws {
        let grid = try DetectionGrid(classes: 2, imageSize: 32)
        let boxes = [[box(2, 3, 14, 9, 0), box(20, 4, 24, 20, 1)]]
        let target = grid.encode(boxes)
        // Turn the target into confident logits and decode: the boxes come back.
        let out = Tensor(zeros: [1, 6, 4, 4])
        for c in 0..<6 {
            for cell in 0..<16 {
                let t = target.data[c * 16 + cell]
                out.data[c * 16 + cell] = c < 2 ? (t > 0 ? 8 : -8) : t
            }
        }
        let found = grid.decode(out, threshold: 0.5)[0].sorted { $0.box.label < $1.box.label }
        XCTAssertEqual(found.count, 2)
        for (f, b) in zip(found, boxes[0]) {
            XCTAssertEqual(f.box.label, b.label)
            XCTAssertEqual(f.box.x1, b.x1, accuracy: 1e-4)
            XCTAssertEqual(f.box.y2, b.y2, accuracy: 1e-4)
        }
        let kept = DetectionGrid.nonMaximumSuppression([det(box(0, 0, 10, 10), 0.9), det(box(1, 0, 11, 10), 0.8), det(box(1, 0, 11, 10, 1), 0.7)], iou: 0.5)
        XCTAssertEqual(kept.map(\.score), [0.9, 0.7])
        XCTAssertThrowsError(try DetectionGrid(classes: 2, imageSize: 36)) {
            XCTAssertEqual("\($0)", "detector: input size must be a multiple of 8 and >= 32, got 36")
        }
    }

    func testDetectionLossGradientMatchesFiniteDifferences() throws {
        let grid = try DetectionGrid(classes: 2, imageSize: 32)
        let target = grid.encode([[box(2, 3, 14, 9, 0), box(20, 4, 24, 20, 1)], [box(8, 8, 30, 30, 1)]])
        try checkLossGradient(try DetectionLoss(grid: grid), output: randn([2, 6, 4, 4], 3), target: target, eps: 1e-3)
    }

    /// The detector learns: on a tiny street-scene set its loss falls well within a few hundred steps.
    func testDetectorLossFallsOnATinySet() throws {
        let data = try StreetScenes(size: 32, count: 16, seed: 5)
        let grid = try DetectionGrid(classes: 2, imageSize: 32)
        let model = try ModelZoo.detector(grid: grid, width: 8, depth: 0, seed: 1)
        let trainer = Trainer(model: model, criterion: try DetectionLoss(grid: grid), optimizer: try Adam(overrides: [("lr", .number(3e-3))]))
        let x = Tensor(zeros: [16, 3, 32, 32])
        var boxes: [[Box]] = []
        for i in 0..<16 {
            let s = try data.sample(i)
            s.image.withUnsafeBufferPointer { (x.data + i * 3072).update(from: $0.baseAddress!, count: 3072) }
            if case .boxes(let b) = s.annotation { boxes.append(b) }
        }
        let y = grid.encode(boxes)
        var first = 0.0, last = 0.0
        for step in 0..<150 {
            let r = try trainer.trainStep(input: x, target: y)
            if step == 0 { first = r.loss }
            last = r.loss
        }
        XCTAssertLessThan(last, first * 0.4, "loss \(first) -> \(last)")
    }
}
