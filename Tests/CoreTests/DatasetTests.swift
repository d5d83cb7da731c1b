import XCTest
import Foundation
@testable import DescentCore

final class DatasetTests: XCTestCase {
    func testSyntheticSetsAreDeterministicBySeed() throws {
        let a = try StreetScenes(size: 48, count: 10, seed: 3), b = try StreetScenes(size: 48, count: 10, seed: 3), c = try StreetScenes(size: 48, count: 10, seed: 4)
        for i in 0..<10 {
            XCTAssertEqual(try a.sample(i).image, try b.sample(i).image)
            XCTAssertEqual(try a.sample(i).annotation, try b.sample(i).annotation)
        }
        XCTAssertNotEqual(try a.sample(0).image, try c.sample(0).image)
        let s = try Shapes(size: 16, count: 5, seed: 1)
        XCTAssertEqual(try s.sample(2).image, try Shapes(size: 16, count: 5, seed: 1).sample(2).image)
    }

    /// Rendered street scenes are cached; a cached sample equals a fresh render, also after a
    /// caller changed its copy, and indices past the count still render.
    func testStreetScenesCacheGivesTheRenderedSample() throws {
        let set = try StreetScenes(size: 32, count: 4, seed: 9)
        var first = try set.sample(2)
        XCTAssertEqual(first.image, set.render(2).sample.image)
        first.image[0] = 42
        XCTAssertEqual(try set.sample(2).image, set.render(2).sample.image)
        XCTAssertEqual(try set.sample(2).annotation, set.render(2).sample.annotation)
        XCTAssertEqual(try set.sample(7).image, set.render(7).sample.image)
    }

    /// Boxes lie inside the image, objects are drawn inside their boxes (most box pixels differ
    /// from the background) and nothing is drawn outside every box; counts and class mix hold.
    func testStreetSceneBoxesMatchDrawnObjects() throws {
        let set = try StreetScenes(size: 64, count: 300, seed: 7)
        var cars = 0, people = 0, maxObjects = 0
        for i in 0..<set.count {
            let (sample, background, objects) = set.render(i)
            guard case .boxes(let boxes) = sample.annotation else { return XCTFail("boxes expected") }
            maxObjects = max(maxObjects, boxes.count)
            XCTAssertLessThanOrEqual(boxes.count, 6)
            for b in boxes {
                XCTAssertTrue(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= 64 && b.y2 <= 64 && b.width > 1 && b.height > 1, "\(b)")
                if b.label == 0 { cars += 1; XCTAssertGreaterThan(b.width, b.height) } else { people += 1; XCTAssertGreaterThan(b.height, b.width) }
                var changed = 0, total = 0
                for y in Int(b.y1.rounded())..<Int(b.y2.rounded()) {
                    for x in Int(b.x1.rounded())..<Int(b.x2.rounded()) {
                        total += 1
                        if (0..<3).contains(where: { c in abs(objects[(c * 64 + y) * 64 + x] - background[(c * 64 + y) * 64 + x]) > 1e-6 }) { changed += 1 }
                    }
                }
                XCTAssertGreaterThan(Double(changed) / Double(max(1, total)), 0.3, "object \(b) of image \(i) barely drawn")
            }
            for y in 0..<64 {
                for x in 0..<64 where !boxes.contains(where: { Double(x) >= floor($0.x1) - 1 && Double(x) < ceil($0.x2) + 1 && Double(y) >= floor($0.y1) - 1 && Double(y) < ceil($0.y2) + 1 }) {
                    XCTAssertEqual(objects[y * 64 + x], background[y * 64 + x], "pixel \(x),\(y) of image \(i) drawn outside every box")
                }
            }
        }
        XCTAssertEqual(maxObjects, 6)
        let ratio = Double(cars) / Double(people)
        XCTAssertTrue((1.2...1.9).contains(ratio), "cars:pedestrians = \(cars):\(people)")
        XCTAssertThrowsError(try StreetScenes(size: 24)) { XCTAssertEqual("\($0)", "street_scenes: size must be >= 32, got 24") }
    }

    func testAugmentationMovesBoxesWithTheImage() throws {
        let set = try StreetScenes(size: 64, count: 40, seed: 2)
        var rng = RandomGenerator(seed: 1)
        let flip = Augmentation(flip: 1)
        for i in 0..<40 {
            let s = try set.sample(i)
            let f = flip.apply(s, shape: [3, 64, 64], &rng)
            guard case .boxes(let a) = s.annotation, case .boxes(let b) = f.annotation else { return XCTFail() }
            for (x, y) in zip(a, b) { XCTAssertEqual(y.x1, 64 - x.x2, accuracy: 1e-9); XCTAssertEqual(y.y1, x.y1) }
            XCTAssertEqual(f.image[5], s.image[63 - 5])
            let j = Augmentation(jitter: 0.3).apply(s, shape: [3, 64, 64], &rng)
            if case .boxes(let jb) = j.annotation { for b in jb { XCTAssertTrue(b.x1 >= 0 && b.x2 <= 64 && b.y1 >= 0 && b.y2 <= 64) } }
        }
        XCTAssertThrowsError(try Augmentation(flip: 2).validate()) { XCTAssertEqual("\($0)", "augment: flip must be in [0, 1], got 2.0") }
    }

    func write(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "descent-data-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func idxBytes(magic: UInt32, dims: [Int], payload: [UInt8]) -> [UInt8] {
        func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        return be(Int(magic)) + dims.flatMap(be) + payload
    }

    func testIDXLoaderAndItsErrors() throws {
        let images = try write(idxBytes(magic: 0x803, dims: [2, 2, 3], payload: [0, 255, 0, 0, 0, 0, 51, 0, 0, 0, 0, 255]))
        let labels = try write(idxBytes(magic: 0x801, dims: [2], payload: [7, 1]))
        let d = try FileDatasets.idx(images: images, labels: labels)
        XCTAssertEqual(d.imageShape, [1, 2, 3])
        XCTAssertEqual(d.samples[1].image, [0.2, 0, 0, 0, 0, 1])
        XCTAssertEqual(d.samples[0].annotation, .label(7))
        let truncated = try write(idxBytes(magic: 0x803, dims: [2, 2, 3], payload: [1, 2, 3]))
        XCTAssertThrowsError(try FileDatasets.idx(images: truncated, labels: labels)) {
            XCTAssertEqual("\($0)", "\(truncated): 28 bytes expected for dimensions [2,2,3], found 19")
        }
        XCTAssertThrowsError(try FileDatasets.idx(images: labels, labels: labels)) {
            XCTAssertEqual("\($0)", "\(labels): IDX magic 0x00000803 (u8, rank 3) expected, found 0x00000801")
        }
        let fewer = try write(idxBytes(magic: 0x801, dims: [1], payload: [3]))
        XCTAssertThrowsError(try FileDatasets.idx(images: images, labels: fewer)) {
            XCTAssertEqual("\($0)", "\(fewer): 2 labels expected (one per image in \(images)), found 1")
        }
        XCTAssertThrowsError(try FileDatasets.idx(images: "/nonexistent/train-images", labels: labels)) {
            XCTAssertEqual("\($0)", "/nonexistent/train-images: no such file")
        }
    }

    func testCIFARLoaderAndItsErrors() throws {
        let record = [UInt8(3)] + (0..<3072).map { UInt8($0 % 256) }
        let path = try write(record + record)
        let d = try FileDatasets.cifar10([path])
        XCTAssertEqual(d.count, 2)
        XCTAssertEqual(d.samples[0].annotation, .label(3))
        XCTAssertEqual(d.samples[0].image[255], 1)
        let short = try write(record + [1, 2])
        XCTAssertThrowsError(try FileDatasets.cifar10([short])) {
            XCTAssertEqual("\($0)", "\(short): CIFAR-10 binary batch of whole 3073-byte records expected, found 3075 bytes (2 left over)")
        }
        let badLabel = try write([12] + Array(record.dropFirst()))
        XCTAssertThrowsError(try FileDatasets.cifar10([badLabel])) { XCTAssertEqual("\($0)", "\(badLabel): label 0-9 expected in record 1, found 12") }
    }

    func testNPYPairs() throws {
        let dir = NSTemporaryDirectory() + "descent-npy-\(UUID().uuidString)"
        try NPY.save(try Tensor.randn([3, 1, 4, 4], seed: 1), to: dir + "-x.npy")
        try NPY.save(Tensor([0, 2, 1]), to: dir + "-y.npy")
        let d = try FileDatasets.npy(images: dir + "-x.npy", labels: dir + "-y.npy")
        XCTAssertEqual(d.imageShape, [1, 4, 4])
        XCTAssertEqual(d.classNames.count, 3)
        try NPY.save(Tensor([0, 1]), to: dir + "-y2.npy")
        XCTAssertThrowsError(try FileDatasets.npy(images: dir + "-x.npy", labels: dir + "-y2.npy")) {
            XCTAssertEqual("\($0)", "\(dir)-y2.npy: labels of shape [3] expected (one per image in \(dir)-x.npy), found [2]")
        }
    }
}

final class CachedDatasetTests: XCTestCase {
    func testServesTheSameSamplesAndRespectsItsBudget() throws {
        let base = try StreetScenes(size: 32, count: 5, seed: 3)
        let cached = CachedDataset(base)
        for i in [0, 4, 0, 2, 4] {
            let (a, b) = (try cached.sample(i), try base.sample(i))
            XCTAssertEqual(a.image, b.image)
            XCTAssertEqual(a.annotation, b.annotation)
        }
        let tooBig = CachedDataset(base, budget: 5 * 3 * 32 * 32 * 4 - 1)
        XCTAssertEqual(try tooBig.sample(1).image, try base.sample(1).image)
        XCTAssertEqual(cached.count, 5)
        XCTAssertEqual(cached.imageShape, [3, 32, 32])
    }
}
