import XCTest
import Foundation

/// The threading policy on a shared machine: a new run takes the cores other processes leave
/// free (unless DESCENT_THREADS says otherwise), and a run trained that way has the same bits
/// as one told that thread count.
final class ThreadPolicyTests: XCTestCase {
    let cli = CLI()

    /// Starts `yes > /dev/null` (one busy core) for the duration of `body`.
    func withBusyCore<T>(_ body: () throws -> T) throws -> T {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        busy.standardOutput = FileHandle.nullDevice
        try busy.run()
        defer { busy.terminate(); busy.waitUntilExit() }
        usleep(300_000)
        return try body()
    }

    func testABusyCoreIsLeftToItsProcess() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores > 1 else { throw XCTSkip("one core: nothing to leave") }
        let study = try cli.script("""
            local e = experiment { name = "tp", model = "cnn", dataset = "shapes", dataset_args = { train = 32, val = 8 }, size = 16,
              steps = 5, batch = 4, eval_every = 0, optimizer = "adam" }
            e:run { name = "r" }
            """)
        let (policy, pinned) = (NSTemporaryDirectory() + "descent-tp-\(UUID().uuidString)", NSTemporaryDirectory() + "descent-tp-\(UUID().uuidString)")
        let text = try withBusyCore { () -> String in
            // The policy decides only without DESCENT_THREADS.
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["run", study, "--out", policy]
            p.currentDirectoryURL = CLI.root
            p.environment = ProcessInfo.processInfo.environment.filter { $0.key != "DESCENT_THREADS" }
            let pipe = Pipe()
            (p.standardOutput, p.standardError) = (pipe, pipe)
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, out)
            return out
        }
        XCTAssertTrue(text.contains("other processes keep 1 of \(cores) cores busy: training with \(cores - 1) thread"), text)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: policy + "/tp/r/config.json"))) as! [String: Any]
        XCTAssertEqual((config["machine"] as? [String: Any])?["threads"] as? Int, cores - 1)
        // Told that count, on an idle machine: the same bits.
        XCTAssertEqual(try cli.descent(["run", study, "--out", pinned], environment: ["DESCENT_THREADS": "\(cores - 1)"]).status, 0)
        let losses = { (dir: String) in
            try String(contentsOfFile: dir + "/tp/r/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
        }
        XCTAssertEqual(try losses(policy), try losses(pinned))
    }
}
