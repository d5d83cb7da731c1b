import XCTest
@testable import DescentCore

/// Real datasets as they come: gzip IDX, MNIST-layout directories, .npz archives (stored and
/// deflated), NHWC and byte arrays; and the bad cases: truncated, bit-flipped, gzip bombs,
/// archives missing an array, formats Descent does not read.
final class CompressedFileTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "descent-compressed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func write(_ data: Data, _ name: String) throws -> String {
        let path = dir + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func testGzipIDXEqualsPlain() throws {
        let images = ArchiveFixtures.idxImages(12, 5, 4), labels = ArchiveFixtures.idxLabels(12)
        let plain = try FileDatasets.idx(images: write(images, "i"), labels: write(labels, "l"))
        let packed = try FileDatasets.idx(images: write(ArchiveFixtures.deflate(images, gzip: true), "i.gz"),
                                          labels: write(ArchiveFixtures.deflate(labels, gzip: true), "l.gz"))
        XCTAssertEqual(packed.imageShape, [1, 5, 4])
        XCTAssertEqual(packed.count, 12)
        for i in 0..<12 { XCTAssertEqual(try packed.sample(i).image, try plain.sample(i).image) }
        XCTAssertEqual(try packed.sample(3).image[2], Float((3 * 7 + 2) % 256) / 255)
        // `cat a.gz b.gz`: both members, in order.
        let half = images.count / 2
        let two = ArchiveFixtures.deflate(images.prefix(half), gzip: true) + ArchiveFixtures.deflate(images.suffix(from: half), gzip: true)
        XCTAssertEqual(try Inflate.gzip(two, path: "two.gz"), images)
        // The first N images only.
        XCTAssertEqual(try FileDatasets.idx(images: write(images, "i2"), labels: write(labels, "l2"), limit: 5).count, 5)
    }

    func testBrokenGzipIsAnErrorNamingThePath() throws {
        let packed = ArchiveFixtures.deflate(ArchiveFixtures.idxImages(40, 8, 8), gzip: true)
        var flipped = [UInt8](packed)
        flipped[packed.count / 2] ^= 0x5A
        for (bytes, reason) in [(Data(packed.prefix(packed.count / 2)), "truncated gzip data"), (Data(flipped), "gzip data")] {
            let path = try write(bytes, "bad.gz")
            XCTAssertThrowsError(try FileDatasets.idx(images: path, labels: path)) {
                XCTAssertTrue("\($0)".hasPrefix(path + ": ") && "\($0)".contains(reason), "\($0)")
            }
        }
        // A bomb: 64 MiB of zeros in a few KiB stops at the cap, before it is held.
        let bomb = ArchiveFixtures.deflate(Data(count: 64 << 20), gzip: true)
        XCTAssertLessThan(bomb.count, 100_000)
        XCTAssertThrowsError(try Inflate.gzip(bomb, path: "bomb.gz", limit: 8 << 20)) {
            XCTAssertTrue("\($0)".contains("bomb.gz: gzip data inflates beyond 8388608 bytes"), "\($0)")
        }
    }

    func testMNISTLayoutDirectory() throws {
        let d = dir + "/fashion"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        for (stem, data) in [("train-images-idx3-ubyte", ArchiveFixtures.idxImages(20, 4, 4)), ("train-labels-idx1-ubyte", ArchiveFixtures.idxLabels(20)),
                             ("t10k-images-idx3-ubyte", ArchiveFixtures.idxImages(10, 4, 4))] {
            try ArchiveFixtures.deflate(data, gzip: true).write(to: URL(fileURLWithPath: d + "/" + stem + ".gz"))
        }
        try ArchiveFixtures.idxLabels(10).write(to: URL(fileURLWithPath: d + "/t10k-labels-idx1-ubyte"))
        let (train, val) = try FileDatasets.mnistLayout(d, name: "fashion_mnist", classNames: FileDatasets.fashionClassNames, train: nil, val: 4)
        XCTAssertEqual(train.count, 20)
        XCTAssertEqual(val.count, 4)
        XCTAssertEqual(train.classNames[9], "Ankle boot")
        try FileManager.default.removeItem(atPath: d + "/t10k-labels-idx1-ubyte")
        XCTAssertThrowsError(try FileDatasets.mnistLayout(d, name: "mnist", classNames: nil, train: nil, val: nil)) {
            XCTAssertTrue("\($0)".contains("t10k-labels-idx1-ubyte: missing (neither it nor t10k-labels-idx1-ubyte.gz is in"), "\($0)")
        }
        XCTAssertThrowsError(try FileDatasets.mnistLayout(dir + "/nowhere", name: "mnist", classNames: nil, train: nil, val: nil)) {
            XCTAssertTrue("\($0)".contains("nowhere: no such directory"), "\($0)")
        }
    }

    /// Keras' mnist.npz: uint8 [N, 28, 28] images scaled to [0, 1]; stored and deflated alike.
    func testNPZStoredAndDeflated() throws {
        let x = (0..<(6 * 3 * 3)).map { UInt8($0 * 5 % 256) }, y: [UInt8] = [0, 1, 2, 3, 4, 5]
        let members = [("x_train.npy", ArchiveFixtures.npy("|u1", [6, 3, 3], x)), ("y_train.npy", ArchiveFixtures.npy("|u1", [6], y)),
                       ("x_test.npy", ArchiveFixtures.npy("|u1", [2, 3, 3], Array(x.prefix(18)))), ("y_test.npy", ArchiveFixtures.npy("|u1", [2], [7, 8]))]
        for deflated in [false, true] {
            let path = try write(ArchiveFixtures.zip(members, deflated: deflated), "mnist.npz")
            let (train, val) = try FileDatasets.npz(path, keys: ["x_train", "y_train", "x_test", "y_test"])
            XCTAssertEqual(train.imageShape, [1, 3, 3])
            XCTAssertEqual(train.count, 6)
            XCTAssertEqual(val.count, 2)
            XCTAssertEqual(try train.sample(1).image[0], Float(x[9]) / 255, "bytes scaled to [0, 1]")
            XCTAssertEqual(try val.sample(1).annotation, .label(8))
            XCTAssertThrowsError(try FileDatasets.npz(path, keys: ["images", "y_train", "x_test", "y_test"])) {
                XCTAssertTrue("\($0)".contains("no array 'images' (the archive holds x_test, x_train, y_test, y_train)"), "\($0)")
            }
        }
        var archive = [UInt8](ArchiveFixtures.zip(members, deflated: false))
        archive[60] ^= 0xFF   // inside x_train's data: the CRC tells
        let flipped = try write(Data(archive), "flipped.npz")
        XCTAssertThrowsError(try NPZ.load(flipped)) { XCTAssertTrue("\($0)".contains("CRC-32"), "\($0)") }
        let truncated = try write(ArchiveFixtures.zip(members, deflated: true).prefix(100), "short.npz")
        XCTAssertThrowsError(try NPZ.load(truncated)) { XCTAssertTrue("\($0)".hasPrefix(truncated + ": not a valid .npz"), "\($0)") }
        let single = try write(ArchiveFixtures.npy("|u1", [2], [1, 2]), "one.npz")
        XCTAssertThrowsError(try NPZ.load(single)) { XCTAssertTrue("\($0)".contains("a single .npy array, not an .npz archive"), "\($0)") }
    }

    func testNHWCIsDetectedOrNamed() throws {
        // Two 5x6 RGB images stored channels-last: image i, pixel p, channel c = 100 i + 10 p + c.
        var nhwc: [Float] = []
        for i in 0..<2 { for p in 0..<30 { for c in 0..<3 { nhwc.append(Float(1000 * i + 10 * p + c)) } } }
        let bytes = nhwc.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
        let x = try write(ArchiveFixtures.npy("<f4", [2, 5, 6, 3], bytes), "x.npy"), y = try write(ArchiveFixtures.npy("|u1", [2], [0, 1]), "y.npy")
        let set = try FileDatasets.npy(images: x, labels: y)
        XCTAssertEqual(set.imageShape, [3, 5, 6])
        let image = try set.sample(1).image
        XCTAssertEqual([image[0], image[1], image[30], image[31], image[60 + 29]], [1000, 1010, 1001, 1011, 1292], "channels first after reading")
        // 3x3x3 images could be either: the layout must be named.
        let cube = try write(ArchiveFixtures.npy("<f4", [1, 3, 3, 3], [UInt8](repeating: 0, count: 108)), "cube.npy")
        let one = try write(ArchiveFixtures.npy("|u1", [1], [0]), "one.npy")
        XCTAssertThrowsError(try FileDatasets.npy(images: cube, labels: one)) {
            XCTAssertTrue("\($0)".contains("cannot tell channels-first (NCHW) from channels-last (NHWC); set dataset_args.layout"), "\($0)")
        }
        XCTAssertEqual(try FileDatasets.npy(images: cube, labels: one, layout: "nhwc").imageShape, [3, 3, 3])
        XCTAssertThrowsError(try FileDatasets.npy(images: cube, labels: one, layout: "hwc")) { XCTAssertTrue("\($0)".contains("layout must be"), "\($0)") }
    }

    func testCIFARPythonBatchesAreNamed() throws {
        let pickle = try write(Data([0x80, 0x04, 0x95] + [UInt8](repeating: 0, count: 100)), "data_batch_1")
        XCTAssertThrowsError(try FileDatasets.cifar10([pickle])) {
            XCTAssertTrue("\($0)".contains("a Python pickle (CIFAR-10's Python version, cifar-10-batches-py)"), "\($0)")
            XCTAssertTrue("\($0)".contains("cifar-10-binary.tar.gz"), "\($0)")
        }
        let tarball = try write(ArchiveFixtures.deflate(Data(count: 3073), gzip: true), "cifar-10-binary.tar.gz")
        XCTAssertThrowsError(try FileDatasets.cifar10([tarball])) { XCTAssertTrue("\($0)".contains("extract it (tar xzf)"), "\($0)") }
    }

    /// Debian's dataset-fashion-mnist (tools/setup installs it): 60k + 10k 28x28 images, 10 classes.
    func testFashionMNISTFromDebian() throws {
        let (train, val) = try FileDatasets.mnistLayout("/usr/share/datasets/fashion-mnist", name: "fashion_mnist",
                                                        classNames: FileDatasets.fashionClassNames, train: 500, val: 100)
        XCTAssertEqual(train.imageShape, [1, 28, 28])
        XCTAssertEqual([train.count, val.count], [500, 100])
        let pixels = try (0..<20).flatMap { try train.sample($0).image }
        XCTAssertEqual(pixels.min(), 0)
        XCTAssertLessThanOrEqual(pixels.max()!, 1)
        XCTAssertEqual(try train.sample(0).annotation, .label(9), "the first training image is an ankle boot")
    }
}
