import XCTest
@testable import DescentCore

/// The .npy, .npz, gzip, IDX, CIFAR, checkpoint and image readers on hostile bytes: headers announcing huge arrays, malformed
/// headers, and every file of a seeded byte-flip and truncation run. Each must load or throw a
/// `DescentError` naming the path; none may trap or allocate what the file cannot hold.
final class FileReaderFuzzTests: XCTestCase {
    private func npy(_ header: String, body: Int) -> Data {
        var h = header
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        var d = Data(NPY.magic + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)])
        d.append(Data(h.utf8))
        d.append(Data(count: body))
        return d
    }

    func testHostileHeadersAreErrorsNamingThePath() {
        let cases: [(Data, String)] = [
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", body: 32), "truncated data"),
            (npy("{'descr': '<i8', 'fortran_order': False, 'shape': (30000, 30000), }", body: 32), "truncated data"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", body: 0), "truncated data"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': 4, 5), }", body: 80), "no 'shape' tuple"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", body: 16), "bad shape"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", body: 16), "bad shape"),
            (Data(NPY.magic + [1, 0, 255, 255]), "truncated header"),
        ]
        for (data, reason) in cases {
            do {
                _ = try NPY.decode(data, path: "/tmp/hostile.npy")
                XCTFail("loaded: \(reason)")
            } catch let e as DescentError {
                XCTAssertTrue("\(e)".contains("/tmp/hostile.npy") && "\(e)".contains(reason), "\(e)")
            } catch {
                XCTFail("\(error)")
            }
        }
        let idx = Data([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        XCTAssertThrowsError(try FileDatasets.idxHeader(idx, path: "/tmp/hostile.idx", magic: 0x0803, rank: 3)) {
            XCTAssertTrue("\($0)".contains("/tmp/hostile.idx"), "\($0)")
        }
        let empty = Data([0, 0, 8, 1, 0, 0, 0, 0])
        XCTAssertThrowsError(try FileDatasets.idxHeader(empty, path: "/tmp/empty.idx", magic: 0x0801, rank: 1)) {
            XCTAssertTrue("\($0)".contains("no items"), "\($0)")
        }
    }

    /// A checkpoint whose header lies, with a correct checksum (so only the header checks stand).
    private func archive(header: String, body: [UInt8]) -> Data {
        var d = Data(TensorArchive.magic)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(contentsOf: body)
        withUnsafeBytes(of: CRC32C.checksum(d).littleEndian) { d.append(contentsOf: $0) }
        return d
    }

    func testHostileCheckpointHeadersAreErrors() {
        let cases: [(String, String)] = [
            (#"{"entries":[{"name":"w","kind":"tensor","shape":[100000,100000],"offset":0}]}"#, "outside the file"),
            (#"{"entries":[{"name":"w","kind":"tensor","shape":[2],"offset":9223372036854775807}]}"#, "outside the file"),
            (#"{"entries":[{"name":"w","kind":"tensor","shape":[2],"offset":-8}]}"#, "outside the file"),
            (#"{"entries":[{"name":"w","kind":"tensor","shape":[-2],"offset":0}]}"#, "negative"),
            (#"{"entries":[{"name":"w","kind":"words","count":4611686018427387904,"offset":0}]}"#, "without a valid count"),
            (#"{"entries":[{"name":"w","kind":"number","value":"x"}]}"#, "without a value"),
            (#"{"entries":[{"name":"w","kind":"number","value":1},{"name":"w","kind":"number","value":"2"}]}"#, "without a value"),
            (#"{"entries":[{"name":"w","kind":"string","value":"a"},{"name":"w","kind":"string","value":"b"}]}"#, "appears twice"),
            (#"{"entries":[{"name":"w","kind":"blob"}]}"#, "unknown kind"),
            (#"{"entries":7}"#, "unreadable header"),
            ("not json", "unreadable header"),
        ]
        for (header, reason) in cases {
            XCTAssertThrowsError(try TensorArchive.decode(archive(header: header, body: [UInt8](repeating: 0, count: 16)), path: "/tmp/hostile.dtar")) {
                XCTAssertTrue("\($0)".hasPrefix("/tmp/hostile.dtar: ") && "\($0)".contains(reason), "\(header): \($0)")
            }
        }
        var huge = archive(header: "{}", body: [])
        huge.replaceSubrange(8..<16, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        XCTAssertThrowsError(try TensorArchive.decode(huge, path: "/tmp/h.dtar")) { XCTAssertTrue("\($0)".contains("checksum mismatch"), "\($0)") }
    }

    /// Formats stb_image 2.27 mishandles never reach it (an RLE HDR that loops forever, 16-bit
    /// PNM read out of bounds or segfaulting), and a header's claim is bounded before decoding.
    func testImagesOtherThanPNGAndJPEGAndHugeClaimsAreRefused() throws {
        let dir = NSTemporaryDirectory() + "descent-img-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // PNG's IHDR claiming 10000x10000 (100 megapixels, 300 MB decoded) in a few dozen bytes.
        var ihdr: [UInt8] = Array("IHDR".utf8) + [0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10, 8, 2, 0, 0, 0]
        let crc = ihdr.withUnsafeBytes { Self.crc32($0) }
        ihdr = [0, 0, 0, 13] + ihdr + withUnsafeBytes(of: crc.bigEndian, Array.init)
        let png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + ihdr + [UInt8](repeating: 0, count: 16)
        let cases: [(String, [UInt8], String)] = [
            ("rle.hdr", Array("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 8 +X 8\n".utf8) + [2, 2, 0, 8] + [UInt8](repeating: 0x80, count: 8), "Radiance HDR image; Descent reads PNG and JPEG only"),
            ("deep.pgm", Array("P5\n8000 8000\n65535\n".utf8) + [0, 1, 2, 3], "PNM image; Descent reads PNG and JPEG only"),
            ("small16.pgm", Array("P5\n2 2\n65535\n".utf8) + [0, 1], "PNM image"),
            ("truncated.ppm", Array("P6\n4 4\n255\n".utf8) + [1, 2, 3], "PNM image"),
            ("x.gif", Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], "GIF image"),
            ("x.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 60), "BMP image"),
            ("text.png", Array("hello".utf8), "not a PNG or JPEG image"),
            ("huge.png", png, "at most 32768 per side and 64 megapixels"),
        ]
        for (name, bytes, reason) in cases {
            let path = dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ImageFile.load(path, side: 8)) {
                XCTAssertTrue("\($0)".hasPrefix(path + ": ") && "\($0)".contains(reason), "\(name): \($0)")
            }
        }
    }

    private static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }

    /// A bounded byte-flip and truncation run over a valid file of each format.
    func testByteFlipsAndTruncationsNeverTrap() throws {
        var rng = RandomGenerator(seed: 11)
        let dir = NSTemporaryDirectory() + "descent-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try NPY.save(try Tensor.randn([2, 3, 4], seed: 1), to: dir + "/x.npy")
        let valid: [(String, Data)] = [
            ("npy", try Data(contentsOf: URL(fileURLWithPath: dir + "/x.npy"))),
            ("idx", Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [UInt8](repeating: 7, count: 8))),
            ("cifar", Data([UInt8](repeating: 3, count: 3073))),
            ("gz", ArchiveFixtures.deflate(ArchiveFixtures.idxImages(3, 4, 4), gzip: true)),
            ("npz", ArchiveFixtures.zip([("x.npy", ArchiveFixtures.npy("|u1", [2, 3], [1, 2, 3, 4, 5, 6])), ("y.npy", ArchiveFixtures.npy("<f4", [1], [0, 0, 128, 63]))],
                                        deflated: true)),
            ("png", try {
                try ImageFile.write(try Tensor.randn([3, 8, 8], seed: 4).values.map { ($0 + 2) / 4 }, channels: 3, width: 8, height: 8, to: dir + "/x.png")
                return try Data(contentsOf: URL(fileURLWithPath: dir + "/x.png"))
            }()),
            ("jpg", try {
                try ImageFile.write(try Tensor.randn([3, 16, 16], seed: 5).values.map { ($0 + 2) / 4 }, channels: 3, width: 16, height: 16, to: dir + "/x.jpg")
                return try Data(contentsOf: URL(fileURLWithPath: dir + "/x.jpg"))
            }()),
            ("dtar", try {
                var a = TensorArchive()
                a["w"] = .tensor(try Tensor.randn([3, 4], seed: 2))
                a["rng"] = .words([1, 2, 3])
                a["step"] = .number(7)
                return try a.encoded()
            }()),
        ]
        for (kind, original) in valid {
            for round in 0..<(ProcessInfo.processInfo.environment["DESCENT_FUZZ_ROUNDS"].flatMap(Int.init) ?? 300) {
                var bytes = [UInt8](original)
                if round % 3 == 0 {
                    bytes = Array(bytes.prefix(rng.int(below: bytes.count + 1)))
                } else {
                    for _ in 0..<(1 + rng.int(below: 4)) where !bytes.isEmpty { bytes[rng.int(below: bytes.count)] ^= UInt8(1 << rng.int(below: 8)) }
                }
                let path = dir + "/case.\(kind)"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do {
                    switch kind {
                    case "npy": _ = try NPY.load(path)
                    case "idx": _ = try FileDatasets.idxHeader(Data(bytes), path: path, magic: 0x0803, rank: 3)
                    case "dtar": _ = try TensorArchive.load(path)
                    case "gz": _ = try Inflate.readMaybeGzip(path)
                    case "npz": _ = try NPZ.load(path)
                    case "png", "jpg": _ = try ImageFile.load(path, side: 8)
                    default: _ = try FileDatasets.cifar10([path])
                    }
                } catch let e as DescentError {
                    XCTAssertTrue("\(e)".contains(path), "\(kind) round \(round): \(e)")
                }
            }
        }
    }
}
