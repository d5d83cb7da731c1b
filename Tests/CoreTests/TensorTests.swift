import XCTest
@testable import DescentCore

final class TensorTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "descent-tensor-\(getpid())/"

    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testArithmeticAndInPlace() throws {
        let a = Tensor([1, 2, 3]), b = Tensor([4, 5, 6])
        XCTAssertEqual(try a.adding(b).values, [5, 7, 9])
        XCTAssertEqual(try a.dividing(b).values, [0.25, 0.4, 0.5])
        XCTAssertEqual(a.subtracted(from: 1).values, [0, -1, -2])
        XCTAssertEqual(Tensor([-2, 0, 3]).sign().values, [-1, 0, 1])
        XCTAssertEqual(Tensor([-2, 0.5, 3]).clamp(-1, 1).values, [-1, 0.5, 1])
        let c = a.clone()
        try c.addcmul_(a, b, value: 0.5)   // 1 + 0.5*1*4 = 3, ...
        XCTAssertEqual(c.values, [3, 7, 12])
        try c.lerp_(Tensor([5, 7, 0]), weight: 0.5)
        XCTAssertEqual(c.values, [4, 7, 6])
        XCTAssertEqual(a.values, [1, 2, 3], "clone copies")
        XCTAssertThrowsError(try a.add_(Tensor([1, 2]))) { XCTAssertEqual("\($0)", "add_: argument of shape [3] expected, got [2]") }
    }

    /// The vector forms cover sizes that are not a multiple of eight, on one and on several
    /// workers, and keep the scalar forms' NaN rules (`Swift.max(NaN, 0)` is NaN).
    func testVectorOpsMatchScalarFormsAtEverySize() throws {
        for n in [1, 7, 13, 300_007] {
            let x = try Tensor.randn([n], seed: UInt64(n)), y = try Tensor.randn([n], seed: 99)
            x.data[0] = .nan
            let xs = x.values, ys = y.values
            func same(_ t: Tensor, _ f: (Float, Float) -> Float, _ what: String) {
                for i in 0..<n {
                    let want = f(xs[i], ys[i]), got = t.data[i]
                    if !(want == got || (want.isNaN && got.isNaN)) { XCTFail("\(what) n=\(n) i=\(i): \(got) != \(want)"); return }
                }
            }
            same(x.maximum(0), { a, _ in Swift.max(a, 0) }, "maximum")
            same(try x.minimum(y), { a, b in Swift.min(a, b) }, "minimum")
            same(x.clamp(-0.5, 0.5), { a, _ in Swift.min(Swift.max(a, -0.5), 0.5) }, "clamp")
            same(x.abs().sqrt(), { a, _ in Swift.abs(a).squareRoot() }, "sqrt")
            same(try x.dividing(y), { a, b in a / b }, "div")
            same(x.sign(), { a, _ in a > 0 ? 1 : (a < 0 ? -1 : a) }, "sign")
            same(try x.clone().add_(y, alpha: 0.3), { a, b in a + 0.3 * b }, "add_")
            same(try ReLU().backward(x, y), { a, b in b * (a > 0 ? 1 : 0) }, "relu backward")
        }
    }

    func testPrintingSummarizesAndFormatsByWhatIsShown() throws {
        XCTAssertEqual(Tensor([1, 2, 3]).description, "tensor[3]\n[1., 2., 3.]")
        XCTAssertEqual(try Tensor([0.5, -1.25, 2, 3], shape: [2, 2]).description, "tensor[2,2]\n[[ 0.5000, -1.2500],\n [ 2.0000,  3.0000]]")
        // Past 1000 elements: three items per edge; a huge value out of sight does not switch the
        // shown ones to scientific notation (as PyTorch).
        let big = Tensor(zeros: [2, 1000])
        for i in 0..<big.count { big.data[i] = Float(i % 7) * 0.25 }
        big.data[500] = 1e9
        XCTAssertEqual(big.description, "tensor[2,1000]\n[[0.0000, 0.2500, 0.5000, ..., 0.7500, 1.0000, 1.2500],\n [1.5000, 0.0000, 0.2500, ..., 0.5000, 0.7500, 1.0000]]")
    }

    func testReductions() throws {
        let t = try Tensor([3, -4, 0, 1], shape: [2, 2])
        XCTAssertEqual(t.sum(), 0)
        XCTAssertEqual(t.min(), -4)
        XCTAssertEqual(t.max(), 3)
        XCTAssertEqual(t.norm(), 26.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(try t.dot(t), 26)
        XCTAssertTrue(Tensor([1, .nan]).max().isNaN)
    }

    /// The sum of squares (a global norm's pass) gives the same bits on every vector body, close
    /// to a Double reference, for lengths with and without a tail of the 64-float chunks, across
    /// several tensors and blocks; NaN and Inf come through.
    func testSumOfSquaresIsTheSameOnEveryBodyAndAccurate() throws {
        let tensors = [try Tensor.randn([100_003], seed: 3), try Tensor.randn([64], seed: 4), try Tensor.randn([5], seed: 5)]
        for t in tensors { for i in stride(from: 0, to: t.count, by: 97) { t.data[i] *= 1e3 } }
        let want = tensors.reduce(0.0) { s, t in t.values.reduce(s) { $0 + Double($1) * Double($1) } }
        var results: [UInt64] = []
        try forEachVectorLevel { level in
            let got = Tensor.sumOfSquares(tensors)
            XCTAssertEqual(got, want, accuracy: want * 1e-6, "level \(level)")
            results.append(got.bitPattern)
            XCTAssertEqual(try Tensor([3, -4, 0, 1], shape: [4]).sumOfSquares(), 26)
            XCTAssertTrue(try Tensor([Float](repeating: 1, count: 70) + [.nan], shape: [71]).sumOfSquares().isNaN)
            XCTAssertEqual(try Tensor([Float](repeating: 1, count: 64) + [.infinity], shape: [65]).sumOfSquares(), .infinity)
        }
        XCTAssertGreaterThan(results.count, 1)
        XCTAssertEqual(Set(results).count, 1)
    }

    func testReshapeSharesStorageAndValidates() throws {
        let t = try Tensor.zeros([2, 6])
        let v = try t.reshape([3, -1])
        XCTAssertEqual(v.shape, [3, 4])
        v.data[0] = 7
        XCTAssertEqual(t.data[0], 7)
        XCTAssertThrowsError(try t.reshape([5, -1])) { XCTAssertEqual("\($0)", "reshape: cannot reshape [2,6] (12 elements) into [5,-1]") }
        XCTAssertThrowsError(try Tensor.zeros([2, -3])) { XCTAssertEqual("\($0)", "zeros: shape must have non-negative sizes, got [2,-3] (dimension 2)") }
    }

    func testMatmulAgainstHandValues() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), b = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
        XCTAssertEqual(try Tensor.matmul(a, b).values, [4, 5, 10, 11])
        XCTAssertEqual(try Tensor.matmul(a, a, transposeB: true).values, [14, 32, 32, 77])
        XCTAssertThrowsError(try Tensor.matmul(a, a)) { XCTAssertEqual("\($0)", "matmul: inner dimensions must agree: [2,3] x [2,3]") }
    }

    func testRandnIsSeededAndNormal() throws {
        let a = try Tensor.randn([10000], seed: 5), b = try Tensor.randn([10000], seed: 5), c = try Tensor.randn([10000], seed: 6)
        XCTAssertEqual(a.values, b.values)
        XCTAssertNotEqual(a.values, c.values)
        XCTAssertEqual(a.mean(), 0, accuracy: 0.05)
        XCTAssertEqual(a.std(), 1, accuracy: 0.05)
    }

    func testNpyRoundTripAndShapes() throws {
        for shape in [[], [5], [2, 3], [2, 0, 4]] {
            let t = try Tensor.randn(shape, seed: 1)
            try NPY.save(t, to: dir + "t.npy")
            let u = try NPY.load(dir + "t.npy")
            XCTAssertEqual(u.shape, shape)
            XCTAssertEqual(u.values, t.values)
        }
        // The header is padded so the data starts on a 64-byte boundary, as NumPy writes it.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "t.npy"))
        XCTAssertEqual((bytes.count - 0) % 4, 0)
        XCTAssertEqual((10 + Int(bytes[8]) | Int(bytes[9]) << 8) % 64, 0)
    }

    /// Builds an .npy file by hand: version 1.0 with the given header dict and body.
    func npy(_ header: String, _ body: [UInt8], version: UInt8 = 1) -> Data {
        var d = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
        let h = Array((header + "\n").utf8)
        if version == 1 { d.append(contentsOf: [UInt8(h.count & 0xff), UInt8(h.count >> 8)]) }
        else { d.append(contentsOf: [UInt8(h.count & 0xff), UInt8(h.count >> 8), 0, 0]) }
        d.append(contentsOf: h)
        d.append(contentsOf: body)
        return d
    }

    func le<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } } }

    func testNpyConvertsOtherDtypes() throws {
        let f64 = [1.5, -2.0].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        let cases: [(String, [UInt8], [Float])] = [
            ("<f8", f64, [1.5, -2]),
            ("<i4", le([Int32(-3), 7]), [-3, 7]),
            ("<i8", le([Int64(1) << 40, -1]), [Float(1 << 40), -1]),
            ("|u1", [0, 255], [0, 255]),
            ("<u2", le([UInt16(65535), 2]), [65535, 2]),
            ("|b1", [1, 0], [1, 0]),
        ]
        for (descr, body, expected) in cases {
            let path = dir + "d.npy"
            try npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }", body).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try NPY.load(path).values, expected, descr)
        }
        let path = dir + "v2.npy"
        try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Array(withUnsafeBytes(of: Float(2.5)) { Array($0) }), version: 2)
            .write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try NPY.load(path).values, [2.5])
    }

    func testNpyRejectsBadFilesWithPathAndReason() throws {
        let path = dir + "bad.npy"
        let cases: [(Data, String)] = [
            (npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]),
             "big-endian data (>f4) is not supported; convert with arr.astype('<f4')"),
            (npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", [UInt8](repeating: 0, count: 16)),
             "Fortran-order arrays are not supported; save with np.ascontiguousarray"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", [0, 0, 0, 0]),
             "truncated data: 12 bytes expected for <f4 [3], got 4"),
            (npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 8)),
             "unsupported dtype <c8 (float32, float64, integers and bool load)"),
            (Data("hello world".utf8), "not a valid .npy file: missing the \\x93NUMPY magic"),
            (Data([0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0]), "not a valid .npy file: truncated header (200 bytes announced, 0 present)"),
        ]
        for (data, reason) in cases {
            try data.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try NPY.load(path)) { XCTAssertEqual("\($0)", "\(path): \(reason)") }
        }
        XCTAssertThrowsError(try NPY.load(dir + "missing.npy")) { XCTAssertEqual("\($0)", "\(self.dir)missing.npy: no such file") }
    }

    func testArchiveRejectsCorruptFiles() throws {
        var a = TensorArchive()
        a["w"] = .tensor(Tensor([1, 2, 3]))
        a["step"] = .number(4)
        let path = dir + "a.ckpt"
        try a.save(to: path)
        let b = try TensorArchive.load(path)
        XCTAssertEqual(try b.tensor("w", path: path).values, [1, 2, 3])
        XCTAssertEqual(try b.number("step", path: path), 4)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(4)
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TensorArchive.load(path)) { XCTAssertEqual("\($0)", "\(path): not a valid Descent checkpoint: checksum mismatch (the file is truncated or corrupt)") }
    }
}
