import XCTest
@testable import DescentCore

/// `AtomicFile.read`: whole files of any size, files without a size (/proc), and errors that
/// name the path and the reason.
final class AtomicFileTests: XCTestCase {
    func testReadsWholeFilesAndNamesWhatIsWrong() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for size in [0, 1, 65_535, 65_536, 65_537, 1_000_003] {
            let bytes = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let path = dir + "/f\(size)"
            try AtomicFile.write(bytes, to: path)
            XCTAssertEqual(try AtomicFile.read(path), bytes, "size \(size)")
        }
        // A /proc file reports size 0 and still has content.
        XCTAssertTrue(String(decoding: try AtomicFile.read("/proc/self/status"), as: UTF8.self).contains("Name:"))
        let cases: [(String, String)] = [(dir + "/missing", "no such file"), (dir, "is a directory, not a file")]
        for (path, reason) in cases {
            XCTAssertThrowsError(try AtomicFile.read(path)) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(reason), "\(error)")
            }
        }
    }
}
