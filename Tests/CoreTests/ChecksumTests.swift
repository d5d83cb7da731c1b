import XCTest
@testable import DescentCore

/// The checksums against their published test vectors.
final class ChecksumTests: XCTestCase {
    func testCRC32CMatchesKnownValues() {
        // RFC 3720 (iSCSI) B.4 and the classic check value.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        var split = CRC32C()
        split.update(Array("12345".utf8))
        split.update(Array("6789".utf8))
        XCTAssertEqual(split.value, 0xE306_9283, "incremental updates equal one pass")
        // TFRecord's mask of the CRC of an empty string (0) is its constant.
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
    }

    func testSHA256MatchesFIPSVectors() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
