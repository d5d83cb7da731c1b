import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

final class ExperimentTests: PluginTestCase {
    /// Runs `script` as `descent run` does (plugins, experiment API, pending runs at the end).
    @discardableResult
    func study(_ script: String, out: String, shard: (Int, Int)? = nil, extra: [String] = []) throws -> [String] {
        let (_, registry) = boot(extra)
        var options = StudyOptions()
        options.outDirectory = out
        options.shard = shard
        let api = try ExperimentAPI(registry: registry, options: options)
        try registry.vm.run(script, name: "=study")
        return try api.finish()
    }

    /// A VM with the plugins and the experiment API, writing under `out`, for scripts that use
    /// results within the script.
    func session(_ out: String) -> (PluginRegistry, ExperimentAPI) {
        let (_, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        return (registry, try! ExperimentAPI(registry: registry, options: options))
    }

    func tmp() -> String { NSTemporaryDirectory() + "descent-study-\(UUID().uuidString)" }

    static let tiny = """
        local e = experiment { name = "tiny", model = "detector", model_args = { width = 4, depth = 0 },
          dataset = "street_scenes", dataset_args = { train = 32, val = 8 }, size = 32, steps = 4, batch = 4, eval_every = 2,
          optimizer = "adam", schedule = "constant", schedule_args = { base = 0.001 } }
        """

    /// Fashion-MNIST fixes 28x28: `size` is refused rather than recorded while ignored, and
    /// config.json (so results.csv) records the size trained at.
    func testSizeOnAFileDatasetIsAnErrorAndTheTrueSizeIsRecorded() throws {
        let fashion = """
            local e = experiment { name = "fm", model = "cnn", model_args = { width = 4, depth = 1 }, dataset = "fashion_mnist",
              dataset_args = { train = 64, val = 16 }, steps = 2, batch = 8, eval_every = 0 }
            """
        XCTAssertThrowsError(try study(fashion + "e:run { name = 'big', size = 32 }", out: tmp())) {
            XCTAssertTrue("\($0)".contains("dataset 'fashion_mnist': size = 32, but its images are 28x28 (its files fix the size); remove size from this run"), "\($0)")
        }
        let out = tmp()
        try study(fashion + "e:run { name = 'plain' }", out: out)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/fm/plain/config.json"))) as! [String: Any]
        XCTAssertEqual(config["size"] as? Int, 28)
        XCTAssertEqual((config["dataset_args"] as? [String: Any])?["train"] as? Int, 64)
    }

    /// `ema`: a fixed decay whose horizon exceeds the run is warned about once per setting; the
    /// dynamic form (TF2's) is not, and config.json says which it was.
    func testEMAHorizonWarningAndDynamicDecay() throws {
        var warnings: [String] = []
        let (_, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = tmp()
        options.warn = { warnings.append($0) }
        let api = try ExperimentAPI(registry: registry, options: options)
        try registry.vm.run(Self.tiny + """
            e:run { name = "fixed", ema = 0.9999, steps = 2, eval_every = 0, seeds = 2 }
            e:run { name = "dynamic", ema = { decay = 0.9999, dynamic = true }, steps = 2, eval_every = 0 }
            e:run { name = "short", ema = 0.5, steps = 2, eval_every = 0 }
            """, name: "=study")
        _ = try api.finish()
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings[0].contains("run 'fixed': ema = 0.9999 averages over about 10000 steps, more than its 2"), "\(warnings)")
        XCTAssertTrue(warnings[0].contains("ema = {decay = 0.9999, dynamic = true}"), "\(warnings)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: options.outDirectory + "/tiny/dynamic/config.json"))) as! [String: Any]
        XCTAssertEqual((config["ema"] as? [String: Any])?["dynamic"] as? Bool, true)
        for (bad, message) in [("ema = { decay = 0.9, dynamc = true }", "ema: unknown field 'dynamc'"), ("ema = { decay = 0.9, dynamic = 1 }", "ema.dynamic must be true or false"),
                               ("ema = 1", "ema must be a decay in [0, 1)")] {
            XCTAssertThrowsError(try study(Self.tiny + "e:run { \(bad) }", out: tmp())) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
    }

    /// Schedule arguments without a schedule would change nothing: an error.
    func testScheduleArgumentsWithoutAScheduleAreAnError() throws {
        XCTAssertThrowsError(try study(Self.tiny + "e:run { name = 'x', schedule = false, schedule_args = { base = 0.1 } }", out: tmp())) {
            XCTAssertTrue("\($0)".contains("schedule_args (base) given without a schedule: they would change nothing"), "\($0)")
        }
    }

    /// Sweeping lr under a schedule would train identical runs: an error saying what to vary.
    func testSweepingLRUnderAScheduleIsAnError() throws {
        XCTAssertThrowsError(try study(Self.tiny + "e:sweep { optimizer = 'adam', vary = { lr = { 0.1, 0.01 } } }", out: tmp())) {
            XCTAssertTrue("\($0)".contains("varies lr, but schedule 'constant' sets lr every step"), "\($0)")
            XCTAssertTrue("\($0)".contains("schedule_args.base"), "\($0)")
        }
        try study(Self.tiny + "e:sweep { optimizer = 'adam', schedule = false, steps = 1, eval_every = 0, vary = { lr = { 0.1, 0.01 } } }", out: tmp())
    }

    /// Under a schedule, results.csv's lr column is empty (the optimizer's default lr never
    /// trained anything) and schedule.* holds the rate; without one it holds the lr.
    func testLRColumnFollowsTheSchedule() throws {
        let out = tmp()
        try study(Self.tiny + """
            e:run { name = "scheduled", steps = 1, eval_every = 0 }
            e:run { name = "plain", schedule = false, hyper = { lr = 0.05 }, steps = 1, eval_every = 0 }
            """, out: out)
        let rows = try String(contentsOfFile: out + "/tiny/results.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let lr = rows[0].firstIndex(of: "lr")!, base = rows[0].firstIndex(of: "schedule.base")!, run = rows[0].firstIndex(of: "run")!
        let byName = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[run], $0) })
        XCTAssertEqual(byName["scheduled"]?[lr], "")
        XCTAssertEqual(byName["scheduled"]?[base], "0.001")
        XCTAssertEqual(byName["plain"]?[lr], "0.05")
    }

    /// With `--shard`, `study:go()` marks the runs other shards train: a study picking its best
    /// run can tell it sees part of the study.
    func testGoMarksOtherShardsRuns() throws {
        let out = tmp()
        try study(Self.tiny + """
            e:run { name = "a", steps = 1, eval_every = 0 }
            e:run { name = "b", steps = 1, eval_every = 0 }
            local runs = e:go()
            assert(runs.a.status == "ok" and runs.a.other_shard == nil, "a is this shard's")
            assert(runs.b.other_shard == true and runs.b.status == "incomplete", "b is the other shard's, not trained yet")
            """, out: out, shard: (1, 2))
        try study(Self.tiny + """
            e:run { name = "a", steps = 1, eval_every = 0 }
            e:run { name = "b", steps = 1, eval_every = 0 }
            local runs = e:go()
            assert(runs.a.other_shard == true and runs.a.status == "ok", "a was trained by shard 1 and is read from disk")
            assert(runs.b.other_shard == nil and runs.b.status == "ok")
            """, out: out, shard: (2, 2))
    }

    /// `--shard auto` from a Slurm array, 0- or 1-based.
    func testShardFromSlurmArrays() throws {
        func env(_ id: Int, _ low: Int, _ count: Int) -> [String: String] {
            ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "\(low)", "SLURM_ARRAY_TASK_COUNT": "\(count)"]
        }
        XCTAssertTrue(try StudyOptions.shardFromScheduler(env(0, 0, 4)) == (1, 4))
        XCTAssertTrue(try StudyOptions.shardFromScheduler(env(3, 0, 4)) == (4, 4))
        XCTAssertTrue(try StudyOptions.shardFromScheduler(env(1, 1, 4)) == (1, 4))
        XCTAssertTrue(try StudyOptions.shardFromScheduler(env(4, 1, 4)) == (4, 4))
        XCTAssertThrowsError(try StudyOptions.shardFromScheduler(env(6, 0, 4))) { XCTAssertTrue("\($0)".contains("task 6 is not one of 4 tasks from 0"), "\($0)") }
        XCTAssertThrowsError(try StudyOptions.shardFromScheduler(["SLURM_ARRAY_TASK_ID": "1"])) {
            XCTAssertTrue("\($0)".contains("SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT unset"), "\($0)")
        }
    }

    /// The study fields are one list: every field is a known key, has its place in config.json,
    /// and a sweep varying it sets the field (the Lua DSL's list comes from the same table), not a
    /// hyperparameter of that name.
    func testStudyFieldsAreOneList() throws {
        XCTAssertEqual(RunSpec.keys, Set(RunSpec.fields.map(\.key)))
        var spec = RunSpec(experiment: "x", name: "r")
        try spec.apply(["batch": .integer(3), "augment": .table(["flip": .number(0.5)]), "schedule": .string("constant")], context: "t")
        let json = spec.json
        // `seeds` expands into runs that have none: config.json never holds it.
        for field in RunSpec.fields where field.key != "seeds" { XCTAssertNotNil(json[field.jsonKey], field.key) }
        XCTAssertNil(json["seeds"])
        XCTAssertEqual(json["batch"] as? Int, 3)
        XCTAssertEqual((json["augment"] as? [String: Double])?["flip"], 0.5)
        XCTAssertThrowsError(try spec.apply(["augment": .table(["flop": .number(1)])], context: "t")) {
            XCTAssertEqual("\($0)", "t: unknown augmentation 'flop' (known: brightness, contrast, flip, jitter)")
        }
        let out = tmp()
        try study(Self.tiny + """
            e:sweep { name = "b{batch}", vary = { batch = { 2, 4 } }, steps = 1, eval_every = 0 }
            """, out: out)
        for b in [2, 4] {
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/tiny/b\(b)/config.json"))) as! [String: Any]
            XCTAssertEqual(config["batch"] as? Int, b)
            XCTAssertNil((config["hyper"] as? [String: Any])?["batch"])
        }
    }

    func testThreeRunStudyWritesEveryFileAndAReport() throws {
        let out = tmp()
        let dirs = try study(Self.tiny + """
            e:run { name = "adam" }
            e:run { name = "lion", optimizer = "lion" }
            e:sweep { name = "mom_{momentum}", optimizer = "momentum", vary = { momentum = { 0.5 } } }
            """, out: out)
        XCTAssertEqual(dirs, [out + "/tiny"])
        for run in ["adam", "lion", "mom_0.5"] {
            for file in ["config.json", "metrics.csv", "summary.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/tiny/\(run)/\(file)"), "\(run)/\(file)")
            }
            let summary = try RunFiles.readSummary("\(out)/tiny/\(run)/summary.json")
            XCTAssertEqual(summary.status, .ok)
            XCTAssertEqual(summary.steps, 4)
            let metrics = try RunFiles.readMetrics("\(out)/tiny/\(run)/metrics.csv")
            XCTAssertEqual(metrics.metricName, "mAP@0.5")
            XCTAssertEqual(metrics.rows.map(\.step), [0, 1, 2, 3])
            XCTAssertNotNil(metrics.rows[1].metric)
            XCTAssertNil(metrics.rows[2].metric)
            XCTAssertNotNil(metrics.rows[3].metric)
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/tiny/mom_0.5/config.json"))) as! [String: Any]
        // Resolved, defaults included; what the script gave is kept beside.
        let hyper = config["hyper"] as? [String: Any]
        XCTAssertEqual(hyper?["momentum"] as? Double, 0.5)
        XCTAssertEqual(hyper?["lr"] as? Double, 0.01)
        XCTAssertEqual(hyper?["form"] as? String, "tf1")
        XCTAssertEqual((config["hyper_given"] as? [String: Any])?.keys.sorted(), ["momentum"])
        XCTAssertEqual((config["machine"] as? [String: Any])?["cpu"] as? String, Machine.cpuModel)
        XCTAssertNotNil(((config["plugins"] as? [String: Any])?["optimizer"] as? [String: Any])?["origin"])
        XCTAssertEqual(config["optimizer"] as? String, "momentum")
        XCTAssertNotNil(config["versions"])

        let html = try String(contentsOfFile: "\(out)/tiny/report.html")
        XCTAssertNoThrow(try HTMLCheck.balanced(html))
        // The charts' data: every run's curves, as in metrics.csv.
        let json = html.components(separatedBy: "<script id=\"report-data\" type=\"application/json\">")[1].components(separatedBy: "</script>")[0]
        let data = try JSONSerialization.jsonObject(with: Data(json.replacingOccurrences(of: "<\\/", with: "</").utf8)) as! [String: Any]
        let runs = data["runs"] as! [[String: Any]]
        XCTAssertEqual(Set(runs.map { $0["name"] as! String }), ["adam", "lion", "mom_0.5"])
        for run in runs {
            XCTAssertEqual((run["steps"] as! [Int]), [0, 1, 2, 3])
            XCTAssertEqual((run["loss"] as! [Any]).count, 4)
            XCTAssertEqual((run["eval_steps"] as! [Int]), [1, 3])
        }
        XCTAssertEqual(data["metric"] as? String, "mAP@0.5")
        for reference in ["src=", "href=", "url(http", "@import", "fetch(", "XMLHttpRequest"] {
            XCTAssertFalse(html.contains(reference), "report must be self-contained: \(reference)")
        }
    }

    /// Same seed, same weights and batches: two identical runs give identical curves; a run that
    /// diverges is marked and stopped, and the next run still runs.
    func testDivergedAndFailedRunsDoNotStopTheStudy() throws {
        let dir = try directory(["bomb.lua": "return { kind = 'optimizer', name = 'bomb', defaults = { lr = 0 }, update = function(p, g, s, h, step) if step == 2 then error('boom') end end }"])
        let out = tmp()
        try study(Self.tiny + """
            e:run { name = "a" }
            e:run { name = "blowup", optimizer = "sgd", schedule = false, hyper = { lr = 1e30 } }
            e:run { name = "bomb", optimizer = "bomb" }
            e:run { name = "b" }
            """, out: out, extra: [dir])
        let s = try ["a", "blowup", "bomb", "b"].map { try RunFiles.readSummary("\(out)/tiny/\($0)/summary.json") }
        XCTAssertEqual(s.map(\.status), [.ok, .diverged, .failed, .ok])
        XCTAssertTrue(s[1].error?.contains("loss became") ?? false, "\(s[1])")
        XCTAssertLessThan(s[1].steps, 4)
        XCTAssertTrue(s[2].error?.contains("bomb.update (") ?? false, "\(s[2])")
        XCTAssertTrue(s[2].error?.contains("boom") ?? false, "\(s[2])")
        let a = try RunFiles.readMetrics("\(out)/tiny/a/metrics.csv").rows.map(\.loss), b = try RunFiles.readMetrics("\(out)/tiny/b/metrics.csv").rows.map(\.loss)
        XCTAssertEqual(a, b)
        let html = try String(contentsOfFile: "\(out)/tiny/report.html")
        XCTAssertTrue(html.contains("<tr class=\"diverged\">") && html.contains("<tr class=\"failed\">"))
    }

    func testShardsPlusReportEqualOneFullRun() throws {
        let script = Self.tiny + """
            e:sweep { optimizer = "momentum", vary = { momentum = { 0.1, 0.5, 0.9 } } }
            e:run { name = "adam" }
            """
        let full = tmp(), sharded = tmp()
        try study(script, out: full)
        try study(script, out: sharded, shard: (1, 2))
        // The other shard's runs are listed, without results yet.
        let half = try Report.runs(in: sharded + "/tiny")
        XCTAssertEqual(half.map(\.name), ["momentum_momentum-0.1", "momentum_momentum-0.5", "momentum_momentum-0.9", "adam"])
        XCTAssertEqual(half.filter { $0.summary != nil }.map(\.name), ["momentum_momentum-0.1", "momentum_momentum-0.9"])
        try study(script, out: sharded, shard: (2, 2))
        let a = try Report.write(experimentDirectory: full + "/tiny").summaries
        let b = try Report.write(experimentDirectory: sharded + "/tiny").summaries
        func strip(_ s: [RunSummary]) -> [RunSummary] { s.map { var x = $0; x.seconds = 0; return x } }
        XCTAssertEqual(strip(a), strip(b))
        XCTAssertEqual(a.count, 4)
    }

    /// A bad study stops before training with the run and the problem named; results already
    /// written stay as they were.
    func testBadStudiesStopBeforeTraining() throws {
        let out = tmp()
        try study(Self.tiny + "e:run { name = 'kept' }", out: out)
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(out)/tiny/kept/summary.json"))
        let cases: [(String, String)] = [
            ("e:run { name = 'x', optimizer = 'adamm' }", "run 'x': optim.new: unknown optimizer 'adamm'"),
            ("e:run { name = 'x', hyper = { betta1 = 0.9 } }", "run 'x': adam: unknown hyperparameter 'betta1' (known: "),
            ("e:run { name = 'x', size = 36 }", "run 'x': detector: input size must be a multiple of 8 and >= 32, got 36"),
            ("e:run { name = 'x', model = 'cnn', dataset = 'idx', dataset_args = { images = '/nonexistent/i', labels = '/nonexistent/l', val_images = 'a', val_labels = 'b' } }",
             "run 'x': /nonexistent/i: no such file"),
            ("e:run { name = 'x', stepz = 4 }", "run 1 of experiment 'tiny': unknown field 'stepz'"),
            ("e:run { name = 'ok' }; e:run { name = 'x', schedule = 'cosine' }", "run 'x': schedule.new: unknown schedule 'cosine'"),
            // Numbers that are no sizes, and names that are no directory names.
            ("e:run { name = 'x', steps = 1e300 }", "steps must be an integer from 1 to 2147483648, got 1e+300"),
            ("e:run { name = 'x', steps = math.huge }", "steps must be an integer from 1 to 2147483648, got inf"),
            ("e:run { name = 'x', seed = -1 }", "seed must be an integer from 0 to 2147483647, got -1"),
            ("e:run { name = 'x', size = 1e9 }", "size must be an integer from 1 to 4096, got 1000000000"),
            ("e:run { name = 'x', batch = 1e12 }", "batch must be an integer from 1 to 1048576, got 1000000000000"),
            ("e:run { name = 'x', eval_every = 0/0 }", "eval_every must be an integer from 0 to 2147483648, got "),
            ("e:run { name = 'x', dataset_args = { train = 1e300 } }", "run 'x': dataset 'street_scenes': train must be an integer from 1 to 10000000, got 1e+300"),
            ("e:run { name = 'x', model_args = { width = 1e300 } }", "run 'x': model 'detector': width must be an integer from 1 to 65536, got 1e+300"),
            ("e:run { name = 'x', model_args = { widht = 4 } }", "run 'x': model 'detector': unknown argument 'widht' (known: depth, width)"),
            ("e:run { name = '..' }", "run name '..' must use letters, digits"),
            ("e:run { name = 'a/b' }", "run name 'a/b' must use letters, digits"),
            // The fields of checkpoints, averaging and groups; the image datasets' arguments.
            ("e:run { name = 'x', checkpoint_every = -1 }", "checkpoint_every must be an integer from 0 to 2147483648, got -1"),
            ("e:run { name = 'x', checkpoint_every = 1e300 }", "checkpoint_every must be an integer from 0 to 2147483648, got 1e+300"),
            ("e:run { name = 'x', ema = 1 }", "ema must be a decay in [0, 1), {decay = d, dynamic = true} or false, got 1"),
            ("e:run { name = 'x', ema = 0/0 }", "ema must be a decay in [0, 1), {decay = d, dynamic = true} or false, got "),
            ("e:run { name = 'x', ema = 'yes' }", "ema must be a decay in [0, 1), {decay = d, dynamic = true} or false, got yes"),
            ("e:run { name = 'x', eval_averaged = 1 }", "eval_averaged must be true or false, got 1"),
            ("e:run { name = 'x', groups = 'bias' }", "groups must be a list of {match = PATTERN, <hyperparameters>} tables, got bias"),
            ("e:run { name = 'x', groups = { { match = 'bias$', lr = {} , beta1 = {{}} } } }", "groups[1]: number, boolean, string or list expected"),
            ("e:run { name = 'x', groups = { { match = '[', lr = 0 } } }", "malformed pattern"),
            ("e:run { name = 'x', model = 'cnn', dataset = 'image_folder' }", "run 'x': dataset 'image_folder': 'train' (a path) is required"),
            ("e:run { name = 'x', model = 'cnn', dataset = 'image_folder', dataset_args = { train = '/nonexistent/photos' } }",
             "run 'x': /nonexistent/photos: no such folder"),
            ("e:run { name = 'x', dataset = 'coco', dataset_args = { annotations = '/nonexistent/a.json', images = '/nonexistent' } }",
             "run 'x': /nonexistent/a.json: no such file"),
        ]
        for (code, expected) in cases {
            let m = message { try study(Self.tiny + code, out: out) }
            XCTAssertTrue(m.contains(expected), "\(code): \(m)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/tiny/x"), code)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/tiny/ok"), "nothing trains when any run is bad: \(code)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(out)/tiny/kept/summary.json")), before)
    }

    func testGoReturnsResultsForDecisions() throws {
        let out = tmp()
        let (registry, api) = session(out)
        defer { withExtendedLifetime(api) {} }
        let r = try registry.vm.run(Self.tiny + """
            e:sweep { name = "m{momentum}", optimizer = "momentum", vary = { momentum = { 0.1, 0.9 } } }
            local res = e:go()
            return res["m0.1"].status, type(res["m0.9"].final_loss), res["m0.1"].metric
            """)
        XCTAssertEqual(r, [.string("ok"), .string("number"), .string("mAP@0.5")])
    }

    func testOnStepSeesEveryStepAndCanStopARun() throws {
        let out = tmp()
        let (registry, api) = session(out)
        defer { withExtendedLifetime(api) {} }
        let r = try registry.vm.run(Self.tiny + """
            local seen = {}
            e:run { name = "full", on_step = function(s)
              seen[#seen + 1] = string.format("%s %d %d %s %s", s.run, s.step, #s.history, tostring(s.history[#s.history] == s.loss), tostring(s.lr))
            end }
            e:run { name = "stopped", on_step = function(s)
              assert(tostring(s.model):match("^nn.Sequential"), tostring(s.model))
              assert(s.opt.hyper.lr == 0.001)
              return s.step < 1
            end }
            local res = e:go()
            return table.concat(seen, ","), res.full.steps, res.stopped.steps, res.stopped.status
            """)
        XCTAssertEqual(r, [.string("full 0 1 true 0.001,full 1 2 true 0.001,full 2 3 true 0.001,full 3 4 true 0.001"),
                           .integer(4), .integer(2), .string("ok")])
        let metrics = try RunFiles.readMetrics("\(out)/tiny/stopped/metrics.csv")
        XCTAssertEqual(metrics.rows.map(\.step), [0, 1])
        XCTAssertNotNil(metrics.rows[1].metric, "a stopped run is still evaluated")

        try registry.vm.run(Self.tiny + "e:run { name = 'boom', on_step = function(s) if s.step == 2 then error('no more') end end }; e:go()")
        let failed = try RunFiles.readSummary("\(out)/tiny/boom/summary.json")
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.steps, 3)
        XCTAssertTrue(failed.error?.contains("no more") ?? false, failed.error ?? "")

        let m = message { try registry.vm.run(Self.tiny + "e:run { name = 'x', on_step = 3 }; e:go()", name: "=bad") }
        XCTAssertTrue(m.contains("bad:") && m.contains("on_step must be a function, got number"), m)
    }

    func testLuaModelAndDatasetPlugins() throws {
        let dir = try directory([
            "mlp.lua": """
                return { kind = "model", name = "mlp", doc = "flatten, linear, relu, linear", defaults = { hidden = 8 },
                  build = function(h, input)
                    return nn.Sequential{ nn.Flatten(), nn.Linear{ input = input.channels * input.height * input.width, output = h.hidden },
                                          nn.ReLU(), nn.Linear{ input = h.hidden, output = input.classes } }
                  end }
                """,
            "blobs.lua": """
                return { kind = "dataset", name = "blobs", defaults = { n = 32 },
                  load = function(h, split)
                    local x = tensor.randn({h.n, 1, 4, 4}, split == "train" and 1 or 2)
                    local y = tensor.zeros{h.n}
                    for i = 1, h.n do if x:get(i, 1, 1, 1) > 0 then y:set(1, i) end end
                    return x, y
                  end }
                """,
        ])
        let out = tmp()
        try study("""
            experiment { name = "lua_parts", model = "mlp", model_args = { hidden = 6 }, dataset = "blobs", dataset_args = { n = 24 }, steps = 5, batch = 8 }
            run { name = "sgd", optimizer = "sgd", hyper = { lr = 0.1 } }
            """, out: out, extra: [dir])
        let s = try RunFiles.readSummary("\(out)/lua_parts/sgd/summary.json")
        XCTAssertEqual(s.status, .ok, "\(s)")
        XCTAssertEqual(s.metricName, "accuracy")
        let m = message { try study("experiment { name = 'e', model = 'mlp', dataset = 'blobs', model_args = { hiden = 2 } }; run {}", out: out, extra: [dir]) }
        XCTAssertTrue(m.contains("mlp: unknown hyperparameter 'hiden' (known: hidden)"), m)
    }

    func testDetectorSummaryHasAPPerClass() throws {
        let out = tmp()
        try study(Self.tiny + "e:run { name = 'a' }", out: out)
        let s = try RunFiles.readSummary("\(out)/tiny/a/summary.json")
        XCTAssertFalse(s.finalPerClass?.isEmpty ?? true)
        XCTAssertTrue(Set(s.finalPerClass?.keys.map { $0 } ?? []).isSubset(of: ["car", "pedestrian"]))
    }

    func testClassificationStudy() throws {
        let out = tmp()
        try study("""
            experiment { name = "cls", model = "cnn", model_args = { width = 4, depth = 2 }, dataset = "shapes",
                         dataset_args = { train = 64, val = 16 }, size = 16, steps = 3, batch = 8 }
            run { name = "sgd", optimizer = "sgd" }
            """, out: out)
        let s = try RunFiles.readSummary("\(out)/cls/sgd/summary.json")
        XCTAssertEqual(s.metricName, "accuracy")
        XCTAssertEqual(s.status, .ok)
        XCTAssertNotNil(s.bestMetric)
    }
}

/// A minimal well-formedness check: every non-void element closes, in order.
enum HTMLCheck {
    struct Unbalanced: Error { let detail: String }
    static let void: Set<String> = ["meta", "input", "br", "img", "line", "polyline", "hr", "link"]

    static func balanced(_ html: String) throws {
        var stack: [String] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { throw Unbalanced(detail: "unterminated tag") }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("!") { continue }
            // Script and style bodies are not markup.
            if tag.hasPrefix("script") || tag.hasPrefix("style") {
                let end = tag.hasPrefix("script") ? "</script>" : "</style>"
                guard let r = rest.range(of: end) else { throw Unbalanced(detail: "unterminated \(end)") }
                rest = rest[r.upperBound...]
                continue
            }
            let selfClosing = tag.hasSuffix("/")
            let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
            if tag.hasPrefix("/") {
                guard stack.popLast() == name else { throw Unbalanced(detail: "</\(name)> does not close the open element") }
            } else if !selfClosing && !void.contains(name) {
                stack.append(name)
            }
        }
        guard stack.isEmpty else { throw Unbalanced(detail: "unclosed: \(stack)") }
        guard html.contains("<html") && html.contains("<body>") && html.contains("report-data") else { throw Unbalanced(detail: "no html/body/chart data") }
    }
}
