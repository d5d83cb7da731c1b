import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// What a study leaves for other tools: TensorBoard event files and results.csv.
final class ResultsFilesTests: PluginTestCase {
    func tmp() -> String { NSTemporaryDirectory() + "descent-results-\(UUID().uuidString)" }

    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// Bytes TensorBoard's own writer produces for the same events (tensorboard 2.x
    /// `RecordWriter` of `Event(wall_time=1.5, step=3, summary=...)`), taken once.
    func testEventRecordsMatchTensorBoardsBytes() {
        XCTAssertEqual(hex(EventLog.scalars(step: 3, wallTime: 1.5, [("loss", 0.25)])),
                       "1a00000000000000129bd82d09000000000000f83f10032a0d0a0b0a046c6f7373150000803ed054b255")
        XCTAssertEqual(hex(EventLog.fileVersion(wallTime: 1.5)),
                       "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a322a28646c")
        XCTAssertThrowsError(try TFRecord.records(Array(EventLog.fileVersion(wallTime: 1.5).dropLast()), path: "/tmp/e")) {
            XCTAssertEqual("\($0)", "/tmp/e: truncated record at byte 0")
        }
    }

    /// (step, tag, value) of every scalar in an event file, and the hparams it records.
    func read(_ path: String) throws -> (scalars: [(Int, String, Float)], hparams: [String: String], status: UInt64?) {
        var scalars: [(Int, String, Float)] = [], hparams: [String: String] = [:], status: UInt64? = nil
        for record in try TFRecord.records([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), path: path) {
            let event = try ProtobufReader.fields(record)
            let step = event.first { $0.0 == 2 }.map { if case .varint(let v) = $0.1 { return Int(v) } else { return 0 } } ?? 0
            guard let summary = event.first(where: { $0.0 == 5 })?.1.message else { continue }
            for (_, v) in try ProtobufReader.fields(summary) {
                let value = try ProtobufReader.fields(v.message!)
                let tag = value.first { $0.0 == 1 }!.1.string!
                if let f = value.first(where: { $0.0 == 2 })?.1.float { scalars.append((step, tag, f)) }
                guard let metadata = value.first(where: { $0.0 == 9 })?.1.message else { continue }
                let plugin = try ProtobufReader.fields(try ProtobufReader.fields(metadata)[0].1.message!)
                XCTAssertEqual(plugin[0].1.string, "hparams")
                let data = try ProtobufReader.fields(plugin[1].1.message!)
                for (field, info) in data {
                    let entries = try ProtobufReader.fields(info.message!)
                    if field == 3 {
                        for (k, entry) in entries where k == 1 {
                            let e = try ProtobufReader.fields(entry.message!)
                            let value = try ProtobufReader.fields(e[1].1.message!)[0]
                            hparams[e[0].1.string!] = value.0 == 2 ? "\(value.1.double!)" : value.1.string!
                        }
                    } else if field == 4, case .varint(let s)? = entries.first?.1 {
                        status = s
                    }
                }
            }
        }
        return (scalars, hparams, status)
    }

    static let sweep = """
        local e = experiment { name = "mom", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16,
          steps = 6, batch = 4, eval_every = 3, checkpoint_every = 2, optimizer = "momentum", schedule = false }
        e:sweep { name = "m{momentum}", vary = { momentum = { 0.5, 0.9 } } }
        """

    func study(_ script: String, out: String) throws {
        let (vm, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.run(script, name: "=study")
        _ = try api.finish()
    }

    func testEventFilesHoldMetricsCsvAndTheHyperparameters() throws {
        let out = tmp()
        try study(Self.sweep, out: out)
        for run in ["m0.5", "m0.9"] {
            let dir = "\(out)/mom/\(run)"
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("events.out.tfevents.") }
            XCTAssertEqual(files.count, 1)
            let (scalars, hparams, status) = try read(dir + "/" + files[0])
            let rows = try RunFiles.readMetrics(dir + "/metrics.csv").rows
            var expected: [(Int, String, Float)] = []
            for r in rows {
                expected += [(r.step, "loss", Float(r.loss)), (r.step, "lr", Float(r.lr))]
                if let m = r.metric { expected.append((r.step, "accuracy", Float(m))) }
                if let v = r.valLoss { expected.append((r.step, "val_loss", Float(v))) }
            }
            XCTAssertEqual(scalars.map { "\($0.0) \($0.1)" }, expected.map { "\($0.0) \($0.1)" })
            for (a, b) in zip(scalars, expected) { XCTAssertEqual(a.2, b.2, accuracy: 1e-5 * max(1, abs(b.2)), "\(a.1) at \(a.0)") }
            XCTAssertEqual(hparams["momentum"], run == "m0.5" ? "0.5" : "0.9")
            XCTAssertEqual(hparams["optimizer"], "momentum")
            XCTAssertEqual(status, 1)
        }
        let csv = try String(contentsOfFile: out + "/mom/results.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = csv[0]
        XCTAssertEqual(Array(header.prefix(4)), ["rank", "run", "setting", "status"])
        for column in ["momentum", "lr", "batch", "final_loss", "best_loss", "best_metric", "steps_to_threshold", "seconds", "config_hash"] {
            XCTAssertTrue(header.contains(column), column)
        }
        XCTAssertEqual(header.filter { $0 == "steps" }.count, 1, "one column per name (pandas would read steps.1)")
        XCTAssertEqual(csv[1][header.firstIndex(of: "steps_trained")!], csv[1][header.firstIndex(of: "steps")!])
        let m = header.firstIndex(of: "momentum")!, best = header.firstIndex(of: "best_metric")!
        XCTAssertEqual(Set(csv.dropFirst().map { $0[m] }), ["0.5", "0.9"])
        XCTAssertGreaterThanOrEqual(Double(csv[1][best])!, Double(csv[2][best])!, "ranked by the metric")
    }

    /// A stopped and resumed run's event file holds each step once, as an uninterrupted run's.
    func testResumedRunsEventFileHoldsEveryStepOnce() throws {
        let out = tmp(), whole = tmp()
        let (vm, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        try study(Self.sweep, out: whole)
        let runner = StudyRunner(registry: registry, options: options)
        _ = vm
        let defaults: [String: LuaValue] = ["model": .string("cnn"), "dataset": .string("shapes"), "size": .integer(16), "steps": .integer(6),
                                            "batch": .integer(4), "eval_every": .integer(3), "checkpoint_every": .integer(2), "optimizer": .string("momentum"),
                                            "schedule": .bool(false), "dataset_args": .table(["train": .integer(16), "val": .integer(8)])]
        let run: [String: LuaValue] = ["name": .string("m0.5"), "hyper": .table(["momentum": .number(0.5)])]
        XCTAssertThrowsError(try runner.execute(experiment: "mom", defaults: defaults, runs: [run], onStep: { _, _, r, _, _ in
            if r.step == 4 { StopRequest.request(SIGTERM) }
            return true
        }))
        StopRequest.clear()
        _ = try StudyRunner(registry: registry, options: options).execute(experiment: "mom", defaults: defaults, runs: [run])
        func scalars(_ dir: String) throws -> [String] {
            let file = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("events.out.tfevents.") }!
            return try read(dir + "/" + file).scalars.map { "\($0.0) \($0.1) \($0.2)" }
        }
        XCTAssertEqual(try scalars(out + "/mom/m0.5"), try scalars(whole + "/mom/m0.5"))
    }
}
