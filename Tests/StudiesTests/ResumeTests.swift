import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// Studies you can stop and resume: checkpoints, re-running into the same directory, stop
/// requests, configurations that changed, stale and corrupt files.
final class ResumeTests: PluginTestCase {
    override func tearDown() {
        StopRequest.clear()
        super.tearDown()
    }

    func tmp() -> String { NSTemporaryDirectory() + "descent-resume-\(UUID().uuidString)" }

    /// Runs `script` as `descent run` does; `stop_now()` in the script requests a stop (SIGINT).
    func study(_ script: String, out: String, fresh: Bool = false, warnings: UnsafeMutablePointer<[String]>? = nil) throws {
        let (vm, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        options.fresh = fresh
        options.warn = { warnings?.pointee.append($0) }
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.load("stop_now = ...", name: "=setup")
        vm.pushFunction("stop_now") { _, _ in StopRequest.request(SIGINT); return 0 }
        try vm.pcall(arguments: 1, results: 0)
        try vm.run(script, name: "=study")
        _ = try api.finish()
    }

    /// A small detector study touching every piece of state a checkpoint must hold: batch-norm
    /// statistics, a Lua optimizer's state tables, a schedule, augmentation, the data order.
    static func script(stopAt: Int? = nil, steps: Int = 12) -> String {
        """
        experiment { name = "r", model = "detector", model_args = { width = 4, depth = 1 },
          dataset = "street_scenes", dataset_args = { train = 24, val = 8 }, size = 32, steps = \(steps), batch = 4,
          eval_every = 4, checkpoint_every = 3, schedule = "cosine_decay", schedule_args = { base = 0.01, total_steps = 12 },
          augment = { flip = 0.5, jitter = 0.1 } }
        run { name = "adam", optimizer = "adam" }
        run { name = "lion", optimizer = "lion", hyper = { lr = 1e-4 }\(stopAt.map { ", on_step = function(s) if s.step == \($0) then stop_now() end end" } ?? "") }
        run { name = "mom", optimizer = "momentum" }
        """
    }

    /// metrics.csv without the wall_time column.
    func metrics(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var f = line.split(separator: ",", omittingEmptySubsequences: false)
            f.remove(at: 3)
            return f.joined(separator: ",")
        }
    }

    func testStoppedStudyResumesBitForBit() throws {
        let whole = tmp(), parted = tmp()
        try study(Self.script(), out: whole)
        XCTAssertThrowsError(try study(Self.script(stopAt: 6), out: parted)) { XCTAssertTrue("\($0)".contains("stopped by Ctrl-C"), "\($0)") }
        let stopped = try RunFiles.readSummary(parted + "/r/lion/summary.json")
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertEqual(stopped.steps, 7)
        XCTAssertFalse(FileManager.default.fileExists(atPath: parted + "/r/mom"), "no run starts after a stop")
        XCTAssertTrue(try String(contentsOfFile: parted + "/r/report.html", encoding: .utf8).contains("interrupted"))
        StopRequest.clear()
        try study(Self.script(), out: parted)
        for run in ["adam", "lion", "mom"] {
            XCTAssertEqual(try metrics("\(parted)/r/\(run)/metrics.csv"), try metrics("\(whole)/r/\(run)/metrics.csv"), run)
            XCTAssertEqual(try RunFiles.readSummary("\(parted)/r/\(run)/summary.json").status, .ok)
        }
    }

    /// A run stopped at one thread count and resumed at another gives the bits of one run
    /// straight through: results do not depend on the thread count.
    func testResumeAtAnotherThreadCountGivesTheSameBits() throws {
        let threads = Parallel.threads, saved = ProcessInfo.processInfo.environment["DESCENT_THREADS"]
        defer {
            Parallel.setThreads(threads)
            if let saved { setenv("DESCENT_THREADS", saved, 1) } else { unsetenv("DESCENT_THREADS") }
        }
        func script(stopAt: Int? = nil) -> String {
            """
            experiment { name = "t", model = "cnn", dataset = "shapes", dataset_args = { train = 256, val = 64 }, size = 16,
              steps = 60, batch = 16, eval_every = 20, checkpoint_every = 10 }
            run { name = "a", optimizer = "adam"\(stopAt.map { ", on_step = function(s) if s.step == \($0) then stop_now() end end" } ?? "") }
            """
        }
        let one = tmp(), parted = tmp()
        setenv("DESCENT_THREADS", "1", 1)
        try study(script(), out: one)
        XCTAssertThrowsError(try study(script(stopAt: 30), out: parted))
        StopRequest.clear()
        setenv("DESCENT_THREADS", "2", 1)
        try study(script(), out: parted)
        XCTAssertEqual(try metrics(parted + "/t/a/metrics.csv"), try metrics(one + "/t/a/metrics.csv"))
        XCTAssertEqual(Parallel.threads, threads, "the process's own thread count comes back after the run")
    }

    /// A stop between steps (native code) checkpoints the step it finished.
    func testStopBetweenStepsCheckpointsThatStep() throws {
        let out = tmp()
        let (_, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        let runner = StudyRunner(registry: registry, options: options)
        let defaults: [String: LuaValue] = ["model": .string("cnn"), "dataset": .string("shapes"), "size": .integer(16), "steps": .integer(9),
                                            "batch": .integer(4), "eval_every": .integer(0), "checkpoint_every": .integer(0),
                                            "dataset_args": .table(["train": .integer(16), "val": .integer(8)])]
        XCTAssertThrowsError(try runner.execute(experiment: "s", defaults: defaults, runs: [["name": .string("a")]], onStep: { _, _, r, _, _ in
            if r.step == 4 { StopRequest.request(SIGTERM) }
            return true
        })) { XCTAssertTrue("\($0)".contains("stopped by SIGTERM"), "\($0)") }
        XCTAssertEqual(try RunFiles.readSummary(out + "/s/a/summary.json").status, .interrupted)
        let archive = try TensorArchive.load(out + "/s/a/checkpoint.dtar")
        XCTAssertEqual(try RunState.decode(try archive.string("state", path: ""), path: "").step, 5)
        StopRequest.clear()
        let again = StudyRunner(registry: registry, options: options)
        XCTAssertEqual(try again.execute(experiment: "s", defaults: defaults, runs: [["name": .string("a")]]).first?.steps, 9)
        let whole = StudyRunner(registry: registry, options: { var o = options; o.outDirectory = out + "-whole"; return o }())
        _ = try whole.execute(experiment: "s", defaults: defaults, runs: [["name": .string("a")]])
        XCTAssertEqual(try metrics(out + "/s/a/metrics.csv"), try metrics(out + "-whole/s/a/metrics.csv"))
    }

    func testFinishedRunsAreSkippedAndChangedOnesPutAside() throws {
        let out = tmp()
        try study(Self.script(steps: 4), out: out)
        let first = try Data(contentsOf: URL(fileURLWithPath: out + "/r/adam/summary.json"))
        try study(Self.script(steps: 4), out: out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/r/adam/summary.json")), first, "a finished run is not trained again")
        // Another configuration: the old results go aside, whole, and come back when asked for.
        try study(Self.script(steps: 5), out: out)
        XCTAssertEqual(try RunFiles.readSummary(out + "/r/adam/summary.json").steps, 5)
        let aside = try FileManager.default.contentsOfDirectory(atPath: out + "/r/.aside").sorted()
        XCTAssertEqual(aside.count, 3)
        XCTAssertTrue(aside[0].hasPrefix("adam-"))
        // TensorBoard reads every file named *tfevents* under its logdir: none is left aside.
        let asideFiles = try FileManager.default.subpathsOfDirectory(atPath: out + "/r/.aside")
        XCTAssertFalse(asideFiles.contains { $0.contains("tfevents") }, "\(asideFiles)")
        XCTAssertTrue(asideFiles.contains { $0.contains("events.out.set-aside.") }, "\(asideFiles)")
        let events = { try FileManager.default.contentsOfDirectory(atPath: out + "/r/adam").filter { $0.contains("tfevents") } }
        let liveEvents = try events()
        XCTAssertEqual(liveEvents.count, 1)
        try study(Self.script(steps: 4), out: out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/r/adam/summary.json")), first)
        XCTAssertEqual(try events().count, 1, "the restored run's event file is named for TensorBoard again")
        // --fresh trains again.
        try study(Self.script(steps: 4), out: out, fresh: true)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/r/adam/summary.json")), first)
    }

    /// Files of another configuration or an earlier study never pass for current results.
    func testReportShowsOnlyThisStudysCurrentRuns() throws {
        let out = tmp()
        try study(Self.script(steps: 4), out: out)
        // A run left from an earlier study, and a summary of another configuration (a kill -9
        // in the middle of a re-run).
        try FileManager.default.copyItem(atPath: out + "/r/adam", toPath: out + "/r/old_run")
        var stale = try RunFiles.readSummary(out + "/r/mom/summary.json")
        stale.configHash = "0000"
        try AtomicFile.write(try RunFiles.json(stale.json), to: out + "/r/mom/summary.json")
        let (_, summaries) = try Report.write(experimentDirectory: out + "/r")
        XCTAssertEqual(summaries.map(\.name), ["adam", "lion", "mom"])
        XCTAssertEqual(summaries.map(\.status), [.ok, .ok, .incomplete])
        // Re-running trains the run whose summary is not its own.
        try study(Self.script(steps: 4), out: out)
        XCTAssertEqual(try RunFiles.readSummary(out + "/r/mom/summary.json").status, .ok)
    }

    func testCorruptCheckpointIsReportedAndTheRunStartsOver() throws {
        let whole = tmp(), out = tmp()
        try study(Self.script(), out: whole)
        XCTAssertThrowsError(try study(Self.script(stopAt: 6), out: out))
        StopRequest.clear()
        let path = out + "/r/lion/checkpoint.dtar"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var warnings: [String] = []
        try study(Self.script(), out: out, warnings: &warnings)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("\(path): not a valid Descent checkpoint: checksum mismatch (the file is truncated or corrupt); set aside as \(out)/r/lion/checkpoint.rejected-"), "\(warnings)")
        XCTAssertTrue(warnings[0].hasSuffix(".dtar, training lion from the start"), "\(warnings)")
        XCTAssertEqual(try metrics(out + "/r/lion/metrics.csv"), try metrics(whole + "/r/lion/metrics.csv"))
    }

    func testFailedRunsAreTrainedAgain() throws {
        let out = tmp()
        let script = """
            experiment { name = "f", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16, steps = 3, batch = 4 }
            run { name = "a", on_step = function(s) if FAIL then error("callback failed") end end }
            """
        try study("FAIL = true\n" + script, out: out)
        XCTAssertEqual(try RunFiles.readSummary(out + "/f/a/summary.json").status, .failed)
        try study(script, out: out)
        XCTAssertEqual(try RunFiles.readSummary(out + "/f/a/summary.json").status, .ok)
    }

    func testErrorsNameTheLineThatDeclaredTheRun() throws {
        let e = message {
            try study("""
                experiment { name = "x", model = "cnn", dataset = "shapes", steps = 2 }
                run { name = "ok" }
                run { name = "typo", optimizer = "adam", hyper = { beta_2 = 0.9 } }
                """, out: tmp())
        }
        XCTAssertTrue(e.hasPrefix("study:3: run 'typo': adam: unknown hyperparameter 'beta_2'"), e)
        let sweep = message {
            try study("""
                experiment { name = "x", model = "cnn", dataset = "shapes", steps = 2 }

                sweep { optimizer = "momentum", vary = { momentun = { 0.5 } } }
                """, out: tmp())
        }
        XCTAssertTrue(sweep.hasPrefix("study:3: run 'momentum_momentun-0.5': momentum: unknown hyperparameter 'momentun'"), sweep)
        let experiment = message {
            try study("""
                local e = experiment { name = "x", model = "cnn", dataset = "shapes", stepz = 2 }
                e:run {}
                """, out: tmp())
        }
        XCTAssertTrue(experiment.hasPrefix("study:1: experiment 'x': unknown field 'stepz'"), experiment)
    }

    /// A learning rate set by hand in `on_step` (a REPL there) holds: the schedule yields, and
    /// config.json records the edit.
    func testLiveEditsHoldAndAreRecorded() throws {
        let out = tmp()
        try study("""
            experiment { name = "l", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16, steps = 6, batch = 4,
              eval_every = 0, optimizer = "momentum", schedule = "cosine_decay", schedule_args = { base = 0.1, total_steps = 6 } }
            run { name = "a", on_step = function(s) if s.step == 2 then s.opt.hyper.lr = 1e-4 end end }
            """, out: out)
        let rows = try RunFiles.readMetrics(out + "/l/a/metrics.csv").rows
        XCTAssertEqual(rows.suffix(3).map(\.lr), [1e-4, 1e-4, 1e-4])
        XCTAssertNotEqual(rows[2].lr, 1e-4)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/l/a/config.json"))) as! [String: Any]
        let edits = config["live_edits"] as! [[String: Any]]
        XCTAssertEqual(edits.count, 1)
        XCTAssertEqual(edits[0]["key"] as? String, "lr")
        XCTAssertEqual(edits[0]["after_step"] as? Int, 3)
        XCTAssertEqual(edits[0]["to"] as? String, "0.0001")
    }
}
