import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// A checkpoint is input: a shared --out or a copied folder may hold one written by someone
/// else, with a valid CRC. Every forged loop state is refused with the path and the reason, the
/// file is set aside (nothing deleted), and the run trains from the start; none traps or hangs.
final class CheckpointValidationTests: PluginTestCase {
    override func tearDown() {
        StopRequest.clear()
        super.tearDown()
    }

    static let script = """
        experiment { name = "v", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16,
          steps = 6, batch = 4, eval_every = 0 }
        run { name = "a", optimizer = "adam", on_step = function(s) if STOP and s.step == 2 then stop_now() end end }
        """

    func study(_ prefix: String, out: String) throws -> [String] {
        let (vm, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        var warnings: [String] = []
        options.warn = { warnings.append($0) }
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.load("stop_now = ...", name: "=setup")
        vm.pushFunction("stop_now") { _, _ in StopRequest.request(SIGINT); return 0 }
        try vm.pcall(arguments: 1, results: 0)
        try vm.run(prefix + Self.script, name: "=study")
        _ = try api.finish()
        return warnings
    }

    /// An interrupted run's directory and its loop state as JSON.
    func interrupted() throws -> (out: String, state: [String: Any]) {
        let out = NSTemporaryDirectory() + "descent-ckpt-\(UUID().uuidString)"
        XCTAssertThrowsError(try study("STOP = true\n", out: out))
        StopRequest.clear()
        let archive = try TensorArchive.load(out + "/v/a/checkpoint.dtar")
        let text = try archive.string("state", path: "state")
        return (out, try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any])
    }

    func forge(_ out: String, _ state: [String: Any]) throws {
        let path = out + "/v/a/checkpoint.dtar"
        var archive = try TensorArchive.load(path)
        archive["state"] = .string(String(decoding: try JSONSerialization.data(withJSONObject: state), as: UTF8.self))
        try archive.save(to: path)
    }

    func testForgedLoopStatesAreSetAsideAndTheRunStartsOver() throws {
        let (_, good) = try interrupted()
        let rows = good["rows"] as! [Any]
        let forgeries: [(String, String, Any)] = [
            ("permutation", "sample order", [-1]), ("permutation", "sample order", [999_999]),
            ("permutation", "repeats a sample", [0, 0]),
            ("eventsBytes", "event file length", -5), ("eventsBytes", "event file length", 1_000_000_000_000),
            ("eventsRows", "event rows", -1), ("eventsRows", "event rows", 1_000_000),
            ("started", "start time", 1e300), ("started", "start time", "nan"), ("started", "start time", -1),
            ("order", "all-zero state", [0, 0, 0, 0, 0, 0]), ("augment", "spare normal", [1, 2, 3, 4, 0x7FF8_0000_0000_0000, 1]),
            ("threads", "thread count", 100_000), ("threads", "thread count", 0),
            ("step", "step -100", -100), ("step", "step 1000000000", 1_000_000_000),
            ("seconds", "training seconds", "nan"), ("rows", "metric rows", Array(rows.prefix(1))),
            ("stepsToThreshold", "steps to threshold", -3), ("scheduleYieldedAt", "schedule yielded", 99),
            ("smoothed", "smoothed", "inf"),
        ]
        for (key, reason, value) in forgeries {
            let (out, state) = try interrupted()
            var forged = state
            forged[key] = value
            try forge(out, forged)
            _ = try study("", out: out)
            let dir = out + "/v/a"
            let summary = try RunFiles.readSummary(dir + "/summary.json")
            XCTAssertEqual(summary.status, .ok, "\(key) = \(value)")
            XCTAssertEqual(summary.steps, 6, "\(key) = \(value)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir)
            XCTAssertEqual(files.filter { $0.hasPrefix("checkpoint.rejected-") }.count, 1, "\(key) = \(value): \(files)")
            // The reason the set-aside message gives.
            var why = ""
            do {
                let text = String(decoding: try JSONSerialization.data(withJSONObject: forged), as: UTF8.self)
                try RunState.decode(text, path: "p").validate(steps: 6, samples: 16, path: "p") { _ in 100 }
            } catch { why = "\(error)" }
            XCTAssertTrue(why.contains(reason), "\(key) = \(value): \(why)")
        }
    }

    /// Random bit flips in the loop state's JSON (the CRC recomputed, as a forger would): each
    /// either decodes to a valid state or is set aside; none traps.
    func testBitFlippedLoopStatesNeverTrap() throws {
        let (out, state) = try interrupted()
        let text = [UInt8](try JSONSerialization.data(withJSONObject: state))
        var rng = RandomGenerator(seed: 7)
        let path = out + "/v/a/checkpoint.dtar"
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        for _ in 0..<40 {
            var bytes = text
            for _ in 0..<3 { bytes[rng.int(below: bytes.count)] ^= UInt8(1 << rng.int(below: 8)) }
            try pristine.write(to: URL(fileURLWithPath: path))
            var archive = try TensorArchive.load(path)
            archive["state"] = .string(String(decoding: bytes, as: UTF8.self))
            try archive.save(to: path)
            try? FileManager.default.removeItem(atPath: out + "/v/a/summary.json")
            _ = try study("", out: out)
            XCTAssertEqual(try RunFiles.readSummary(out + "/v/a/summary.json").status, .ok)
            try FileManager.default.removeItem(atPath: path)
            try pristine.write(to: URL(fileURLWithPath: path))
        }
    }

    /// An event file swapped for a symbolic link is refused, never truncated through.
    func testEventFileLinkIsNeverWrittenThrough() throws {
        let (out, _) = try interrupted()
        let dir = out + "/v/a"
        let event = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("events.out.tfevents.") }!
        let victim = out + "/victim.txt"
        let lines = (1...1000).map { "line \($0)" }.joined(separator: "\n")
        try lines.write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/" + event)
        try FileManager.default.createSymbolicLink(atPath: dir + "/" + event, withDestinationPath: victim)
        _ = try study("", out: out)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), lines)
        XCTAssertEqual(try RunFiles.readSummary(dir + "/summary.json").status, .ok)
    }
}
