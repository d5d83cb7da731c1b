import XCTest
import Foundation

/// Studies as a user runs them: the bundled comparison in smoke mode, parallel workers, and
/// `descent report`.
final class StudyCommandTests: XCTestCase {
    let cli = CLI()

    func out() -> String { NSTemporaryDirectory() + "descent-e2e-runs-\(UUID().uuidString)" }

    func testCompareOptimizersQuick() throws {
        let dir = out()
        let r = try cli.descent(["run", "scripts/experiments/compare_optimizers.lua", "--quick", "--out", dir])
        XCTAssertEqual(r.status, 0, r.err)
        for run in ["tfod_momentum", "tfod_rmsprop", "tfod2_rmsprop", "tfod_adam"] {
            XCTAssertTrue(r.out.contains("\n\(run) "), "no table row for \(run):\n\(r.out)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/compare_optimizers/\(run)/summary.json"), run)
        }
        XCTAssertTrue(r.out.contains("report: \(dir)/compare_optimizers/report.html"), r.out)
        XCTAssertTrue(r.out.contains("step 6/6"), "plain progress lines when not on a terminal:\n\(r.out)")
    }

    /// The modern optimizers' study in smoke mode, with --jobs (Schedule-Free evaluated at x in
    /// a worker).
    func testModernOptimizersQuick() throws {
        let dir = out()
        let r = try cli.descent(["run", "scripts/experiments/modern_optimizers.lua", "--quick", "--jobs", "2", "--out", dir])
        XCTAssertEqual(r.status, 0, r.err)
        for run in ["tfod_momentum", "tfod_adam", "muon", "schedule_free_adamw", "adafactor", "lamb"] {
            XCTAssertNotNil(r.out.range(of: "\n\(run) +ok ", options: .regularExpression), "\(run):\n\(r.out)")
        }
    }

    /// A seeded study with `--jobs 2`: each seed's run trains in a worker under its own name, and
    /// the result equals the same study run in one process.
    func testSeededStudyWithWorkers() throws {
        let study = try cli.script("""
            local e = experiment { name = "sj", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16,
              steps = 3, batch = 4, eval_every = 0, seeds = { 4, 7 } }
            e:run { name = "adam", optimizer = "adam" }
            e:run { name = "mom", optimizer = "momentum" }
            """)
        let (a, b) = (out(), out())
        let parallel = try cli.descent(["run", study, "--jobs", "2", "--out", a])
        XCTAssertEqual(parallel.status, 0, parallel.err)
        let serial = try cli.descent(["run", study, "--out", b])
        XCTAssertEqual(serial.status, 0, serial.err)
        for run in ["adam@s4", "adam@s7", "mom@s4", "mom@s7"] {
            let metrics = { (dir: String) in
                try String(contentsOfFile: "\(dir)/sj/\(run)/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
            }
            XCTAssertEqual(try metrics(a), try metrics(b), run)
        }
        let settings = try String(contentsOfFile: a + "/sj/settings.csv", encoding: .utf8)
        XCTAssertEqual(settings.split(separator: "\n").count, 3, settings)
    }

    /// `sbatch --array=0-1 ... --shard auto`, then `descent report`: each task trains its half,
    /// the report merges them; outside an array, auto is refused with what is missing.
    func testShardAutoFollowsASlurmArray() throws {
        let dir = out()
        let study = try cli.script("""
            local e = experiment { name = "arr", model = "detector", model_args = { width = 4, depth = 0 },
              dataset = "street_scenes", dataset_args = { train = 16, val = 4 }, size = 32, steps = 2, batch = 4, eval_every = 0 }
            e:sweep { optimizer = "momentum", vary = { momentum = { 0.1, 0.3, 0.5, 0.7 } } }
            """)
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("SLURM_") { environment[key] = nil }
        for task in 0...1 {
            let env = ["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"]
            let r = try cli.descent(["run", study, "--shard", "auto", "--out", dir], environment: env)
            XCTAssertEqual(r.status, 0, r.err)
        }
        let report = try cli.descent(["report", dir + "/arr"])
        XCTAssertEqual(report.status, 0, report.err)
        XCTAssertEqual(report.out.components(separatedBy: "  ok  ").count - 1, 4, report.out)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", study, "--shard", "auto", "--out", out()]
        p.environment = environment
        let err = Pipe()
        (p.standardOutput, p.standardError) = (FileHandle.nullDevice, err)
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains("--shard auto: not inside a Slurm job array: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT unset"), text)
    }

    func testJobsRunWorkersAndReportRebuilds() throws {
        let dir = out()
        let marks = NSTemporaryDirectory() + "descent-e2e-marks-\(UUID().uuidString)"
        let study = try cli.script("""
            io.open("\(marks)", "a"):write("x")   -- a side effect: workers must not repeat it
            local e = experiment { name = "par", model = "detector", model_args = { width = 4, depth = 0 },
              dataset = "street_scenes", dataset_args = { train = 32, val = 8 }, size = 32, steps = 3, batch = 4 }
            e:sweep { optimizer = "momentum", vary = { momentum = { 0.1, 0.5, 0.9 } } }
            e:run { optimizer = "sgd" }   -- unnamed: the fourth run, "run4", wherever it trains
            """)
        let r = try cli.descent(["run", study, "--jobs", "2", "--out", dir])
        XCTAssertEqual(r.status, 0, r.err)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/par").filter { $0.hasPrefix("momentum") }.sorted()
        XCTAssertEqual(names, ["momentum_momentum-0.1", "momentum_momentum-0.5", "momentum_momentum-0.9"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/par/run4/summary.json"), "the unnamed run keeps its name in a worker")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/par/run1"))
        XCTAssertEqual(try String(contentsOfFile: marks, encoding: .utf8), "x", "workers get their run, not the script")
        let config = try String(contentsOfFile: dir + "/par/momentum_momentum-0.5/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("0.5"), config)
        try FileManager.default.removeItem(atPath: dir + "/par/report.html")
        let rep = try cli.descent(["report", dir + "/par"])
        XCTAssertEqual(rep.status, 0, rep.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/par/report.html"))
        XCTAssertEqual(rep.out.components(separatedBy: "\n").filter { $0.hasPrefix("momentum_momentum-") && $0.contains(" ok ") }.count, 3, rep.out)
        let missing = try cli.descent(["report", dir + "/nothing"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("\(dir)/nothing: no such directory"), missing.err)
    }

    func testBadStudyExitsOneNamingTheRun() throws {
        let study = try cli.script("""
            local e = experiment { name = "bad", steps = 3, size = 32 }
            e:run { name = "typo", optimizer = "adma" }
            """)
        let r = try cli.descent(["run", study, "--out", out()])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("run 'typo': optim.new: unknown optimizer 'adma'"), r.err)
    }

    /// A worker given anything but a job on standard input fails with a message.
    func testWorkerRejectsAGarbledJob() throws {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["worker"]
        let input = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(Data("{\"experiment\": 1".utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("worker: standard input holds no valid run from `descent run --jobs`"), text)
    }

    /// `kill -9` of a study leaves no worker running: each asked the kernel to signal it when its
    /// parent dies, and stops with a checkpoint.
    func testWorkersDieWithTheirParent() throws {
        let dir = out()
        let study = try cli.script("""
            local e = experiment { name = "long", model = "detector", model_args = { width = 4, depth = 0 },
              dataset = "street_scenes", dataset_args = { train = 32, val = 8 }, size = 32, steps = 100000, batch = 4, eval_every = 0 }
            e:sweep { optimizer = "momentum", vary = { momentum = { 0.1, 0.5 } } }
            """)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", study, "--jobs", "2", "--out", dir]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        func workers() -> [Int32] {
            let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return all.compactMap(Int32.init).filter { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                return fields.count > 1 && Int32(fields[1]) == p.processIdentifier
            }
        }
        var started: [Int32] = []
        for _ in 0..<100 where started.count < 2 {
            usleep(100_000)
            started = workers()
        }
        XCTAssertEqual(started.count, 2, "two workers should be running")
        // Until both have started their runs (a worker killed while it boots has no run to stop).
        for _ in 0..<100 where !["0.1", "0.5"].allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/long/momentum_momentum-\($0)/config.json") }) {
            usleep(100_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        var alive = started
        for _ in 0..<50 where !alive.isEmpty {
            usleep(100_000)
            alive = started.filter { kill($0, 0) == 0 && !(((try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? "").contains(") Z ")) }
        }
        XCTAssertEqual(alive, [], "workers outlived their parent")
        alive.forEach { kill($0, SIGKILL) }
        // Each stopped at a step's end, leaving a checkpoint to resume from.
        for run in ["momentum_momentum-0.1", "momentum_momentum-0.5"] {
            let summary = try String(contentsOfFile: "\(dir)/long/\(run)/summary.json", encoding: .utf8)
            XCTAssertTrue(summary.contains("\"interrupted\""), summary)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/long/\(run)/checkpoint.dtar"), run)
        }
    }
}

/// The report as a browser shows it: headless Chromium must draw every chart
/// (`tools/check-report`). Skipped where Debian's chromium is not installed.
final class ReportRenderingTests: XCTestCase {
    func testReportRendersInHeadlessChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else { throw XCTSkip("chromium is not installed") }
        let cli = CLI()
        let out = NSTemporaryDirectory() + "descent-e2e-report-\(UUID().uuidString)"
        let script = try cli.script("""
            local e = experiment { name = "rep", model = "cnn", dataset = "shapes", dataset_args = { train = 32, val = 8 }, size = 16,
              steps = 6, batch = 4, eval_every = 3, optimizer = "momentum", schedule = false }
            e:sweep { name = "m{momentum}", vary = { momentum = { 0.5, 0.9 } } }
            e:run { name = "boom", hyper = { momentum = 0.9, lr = 1e6 } }
            """)
        XCTAssertEqual(try cli.descent(["run", script, "--out", out]).status, 0)
        let p = Process()
        p.executableURL = CLI.root.appendingPathComponent("tools/check-report")
        p.arguments = [out + "/rep/report.html"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        // Two sweep charts (metric and final loss against momentum), training loss, validation loss, metric, lr.
        XCTAssertTrue(text.contains("6 charts drawn"), text)
        XCTAssertTrue(text.contains("hover and zoom: \"tip=step "), text)
        // The diverged run (loss ~1e30) is off the top: the axis stays at the others' scale.
        let ymax = text.components(separatedBy: "ymax=").last?.split(separator: " ").first.flatMap { Double($0) }
        XCTAssertNotNil(ymax, text)
        XCTAssertLessThan(ymax ?? .infinity, 100, text)
        XCTAssertTrue(text.contains("bands=0 | errorbars=0"), text)

        // With seeds: mean curves with bands, sweep points with error bars.
        let seeded = try cli.script("""
            local e = experiment { name = "rs", model = "cnn", dataset = "shapes", dataset_args = { train = 32, val = 8 }, size = 16,
              steps = 6, batch = 4, eval_every = 3, optimizer = "momentum", schedule = false, seeds = 2 }
            e:sweep { name = "m{momentum}", vary = { momentum = { 0.5, 0.9 } } }
            """)
        XCTAssertEqual(try cli.descent(["run", seeded, "--out", out]).status, 0)
        let q = Process()
        q.executableURL = CLI.root.appendingPathComponent("tools/check-report")
        q.arguments = [out + "/rs/report.html"]
        let qpipe = Pipe()
        (q.standardOutput, q.standardError) = (qpipe, qpipe)
        try q.run()
        let seededText = String(decoding: qpipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 0, seededText)
        let count = { (name: String) in Int(String(seededText.components(separatedBy: " " + name + "=").last?.prefix { $0.isNumber } ?? "")) ?? 0 }
        XCTAssertGreaterThan(count("bands"), 0, seededText)
        XCTAssertGreaterThan(count("errorbars"), 0, seededText)
    }
}

/// `descent tfod import` as a user runs it.
final class TFODCommandTests: XCTestCase {
    func testImportPrintsARunAndRejectsBadFiles() throws {
        let cli = CLI()
        let r = try cli.descent(["tfod", "import", "scripts/tfod/ssd_efficientdet_d0_512x512.config", "--name", "d0"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("study:run {\n  name = \"d0\",\n  optimizer = \"momentum\",\n  hyper = { form = \"keras\", momentum = 0.9 },"), r.out)
        XCTAssertTrue(r.out.contains("-- train_config.data_augmentation_options.random_scale_crop_and_pad_to_square: not imported"), r.out)
        let tf1 = try cli.descent(["tfod", "import", "--tf1", "scripts/tfod/ssd_efficientdet_d0_512x512.config"])
        XCTAssertTrue(tf1.out.contains("optimizer = \"tfod_momentum\""), tf1.out)
        let bad = try cli.script("train_config { optimizer { sgd_optimizer { } } num_steps: 5 }")
        let e = try cli.descent(["tfod", "import", bad])
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.err.contains("\(bad): line 1: train_config.optimizer.sgd_optimizer: has no Descent equivalent"), e.err)
    }
}
