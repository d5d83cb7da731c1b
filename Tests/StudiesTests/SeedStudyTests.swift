import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// Seeds as a study axis: the statistics against hand-computed values, the paired comparison,
/// and a seeded study's files (settings.csv recomputed from results.csv), resumption and errors.
final class SeedStudyTests: PluginTestCase {
    func tmp() -> String { NSTemporaryDirectory() + "descent-seeds-\(UUID().uuidString)" }

    func study(_ script: String, out: String) throws -> (PluginRegistry, ExperimentAPI) {
        let (_, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        let api = try ExperimentAPI(registry: registry, options: options)
        try registry.vm.run(script, name: "=study")
        _ = try api.finish()
        return (registry, api)
    }

    /// Student t quantiles from tables (Abramowitz & Stegun 26.10; scipy.stats.t.ppf(0.975, df)).
    func testStudentQuantiles() {
        for (df, t) in [(1, 12.706205), (2, 4.302653), (4, 2.776445), (9, 2.262157), (29, 2.045230), (100, 1.983972), (100_000, 1.959988)] {
            XCTAssertEqual(SeedStatistics.studentT975(degrees: df), t, accuracy: 2e-6, "df \(df)")
        }
    }

    func testEstimatesByHand() {
        // 1, 2, 3, 4: mean 2.5, variance 5/3, half-width t(3) · s / 2.
        let e = SeedStatistics.estimate([1, 2, 3, 4])
        XCTAssertEqual(e.mean, 2.5)
        XCTAssertEqual(e.std!, (5.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.ci95!, 3.182446305 * (5.0 / 3).squareRoot() / 2, accuracy: 1e-8)
        // One seed: a mean and no spread.
        XCTAssertEqual(SeedStatistics.estimate([0.7]), .init(count: 1, mean: 0.7, std: nil, ci95: nil))
        // Ties: no spread at all.
        XCTAssertEqual(SeedStatistics.estimate([2, 2, 2]), .init(count: 3, mean: 2, std: 0, ci95: 0))
        // A diverged seed's infinite loss: the mean says so, the spread is undefined.
        let diverged = SeedStatistics.estimate([1, .infinity, 2])
        XCTAssertEqual(diverged.mean, .infinity)
        XCTAssertNil(diverged.std)
        XCTAssertEqual(SeedStatistics.estimate([]).count, 0)
    }

    func testPairedDifference() {
        // Differences 0.5, 0.4, 0.6: mean 0.5, s = 0.1, half-width 4.3027 · 0.1 / √3 = 0.2484.
        let a = [1: 1.0, 2: 2.0, 3: 3.0], b = [1: 0.5, 2: 1.6, 3: 2.4, 4: 9]
        let (d, separable) = SeedStatistics.pairedDifference(a, b)!
        XCTAssertEqual(d.count, 3, "only shared seeds pair")
        XCTAssertEqual(d.mean!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(d.ci95!, 4.302653 * 0.1 / 3.0.squareRoot(), accuracy: 1e-6)
        XCTAssertTrue(separable)
        // Differences 1, −1, 0.5 straddle 0.
        XCTAssertFalse(SeedStatistics.pairedDifference([1: 2, 2: 0, 3: 1.5], [1: 1, 2: 1, 3: 1])!.separable)
        XCTAssertNil(SeedStatistics.pairedDifference([1: 2], [1: 1]), "one shared seed has no interval")
    }

    static let seeded = """
        local e = experiment { name = "s", model = "cnn", dataset = "shapes", dataset_args = { train = 32, val = 16 }, size = 16,
          steps = 6, batch = 4, eval_every = 3, seeds = 3, threshold = 1.9 }
        e:run { name = "adam", optimizer = "adam" }
        e:run { name = "mom", optimizer = "momentum" }
        e:run { name = "one", optimizer = "momentum", seed = 2 }
        """

    /// settings.csv holds, per setting, what anyone computes from results.csv's rows.
    func testSettingsCsvEqualsStatisticsOfResultsCsv() throws {
        let out = tmp()
        _ = try study(Self.seeded, out: out)
        let dir = out + "/s"
        for run in ["adam@s1", "adam@s2", "adam@s3", "mom@s1", "mom@s2", "mom@s3", "one"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/\(run)/summary.json"), run)
        }
        let results = try csv(dir + "/results.csv"), settings = try csv(dir + "/settings.csv")
        XCTAssertEqual(results.count, 7)
        XCTAssertEqual(Set(settings.map { $0["setting"]! }), ["adam", "mom", "one"])
        for row in settings {
            let name = row["setting"]!
            let runs = results.filter { $0["setting"] == name }
            XCTAssertEqual(row["seeds"], String(runs.count))
            if name != "one" { XCTAssertEqual(Set(runs.map { $0["seed"]! }), ["1", "2", "3"]) }
            for m in SettingsTable.measures {
                let values = runs.compactMap { Double($0[m]!) }
                let n = Double(values.count)
                guard n > 0 else { XCTAssertEqual(row[m + "_mean"], "", "\(name) \(m)"); continue }
                let mean = values.reduce(0, +) / n
                XCTAssertEqual(Double(row[m + "_mean"]!)!, mean, accuracy: 1e-7 * max(1, abs(mean)), "\(name) \(m)")
                if values.count < 2 {
                    XCTAssertEqual(row[m + "_std"], "", "\(name) \(m): one value has no spread")
                    XCTAssertEqual(row[m + "_ci95"], "")
                    continue
                }
                let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
                XCTAssertEqual(Double(row[m + "_std"]!)!, std, accuracy: 1e-7, "\(name) \(m)")
                XCTAssertEqual(Double(row[m + "_ci95"]!)!, SeedStatistics.studentT975(degrees: values.count - 1) * std / n.squareRoot(),
                               accuracy: 1e-7, "\(name) \(m)")
            }
        }
        // The seeds of a setting are one HParams group (the setting's hash), without a seed column.
        let configs = try ["adam@s1", "adam@s2", "mom@s1"].map { run in
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(run)/config.json"))) as! [String: Any]
        }
        XCTAssertEqual(configs[0]["setting_hash"] as? String, configs[1]["setting_hash"] as? String)
        XCTAssertNotEqual(configs[0]["setting_hash"] as? String, configs[2]["setting_hash"] as? String)
        XCTAssertNotEqual(configs[0]["config_hash"] as? String, configs[1]["config_hash"] as? String)
        XCTAssertEqual(configs[1]["setting"] as? String, "adam")
        XCTAssertEqual(configs[1]["seed"] as? Int, 2)
        XCTAssertNil(RunRecorder.hparams(configs[1])["seed"])
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Settings: mean"), "the report ranks settings")
        XCTAssertTrue(html.contains("separable") || html.contains("beats"), "the report says whether the best two differ")
    }

    /// Seeds draw the weights, the batches and the augmentation: different seeds, different
    /// losses; the same seed in two settings trains the same start (paired comparisons).
    func testSeedsChangeTheRunAndPairAcrossSettings() throws {
        let out = tmp()
        _ = try study(Self.seeded, out: out)
        let loss = { (run: String) in try RunFiles.readMetrics(out + "/s/\(run)/metrics.csv").rows.map(\.loss) }
        XCTAssertNotEqual(try loss("mom@s1"), try loss("mom@s2"))
        XCTAssertEqual(try loss("mom@s2"), try loss("one"), "seed 2 of a setting is the run with seed = 2")
    }

    /// `study:go()` returns the settings' statistics beside the runs.
    func testGoReturnsSettings() throws {
        let out = tmp()
        let (registry, _) = try study(Self.seeded + """
            local runs, settings = e:go()
            assert(settings.adam.seeds == 3 and #settings.adam.runs == 3, "three seeds")
            assert(runs["adam@s2"].setting == "adam" and runs["adam@s2"].seed == 2)
            assert(math.type(settings.adam.final_loss_mean) == "float" and settings.adam.final_loss_ci95 > 0)
            assert(settings.one.seeds == 1 and settings.one.final_loss_std == nil)
            picked = settings.adam.best_metric_mean
            """, out: out)
        XCTAssertNotNil(registry.vm.global("picked").number)
    }

    /// Adding a seed trains only that seed: the others keep their configuration hash.
    func testMoreSeedsTrainOnlyTheNewOnes() throws {
        let out = tmp()
        _ = try study(Self.seeded, out: out)
        let before = try String(contentsOfFile: out + "/s/adam@s1/metrics.csv", encoding: .utf8)
        try FileManager.default.removeItem(atPath: out + "/s/adam@s2/summary.json")
        _ = try study(Self.seeded.replacingOccurrences(of: "seeds = 3", with: "seeds = 4"), out: out)
        XCTAssertEqual(try String(contentsOfFile: out + "/s/adam@s1/metrics.csv", encoding: .utf8), before, "seed 1 kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/s/adam@s2/summary.json"), "seed 2 trained again")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/s/adam@s4/summary.json"), "seed 4 added")
        XCTAssertEqual(try csv(out + "/s/settings.csv").first { $0["setting"] == "adam" }?["seeds"], "4")
    }

    func testBadSeeds() throws {
        let base = "local e = experiment { name = 's', model = 'cnn', dataset = 'shapes', size = 16, steps = 1 }\n"
        for (run, message) in [
            ("seeds = 0", "seeds must be an integer from 1 to 1000, got 0"),
            ("seeds = 1.5", "seeds must be an integer from 1 to 1000, got 1.5"),
            ("seeds = 1e9", "seeds must be an integer from 1 to 1000"),
            ("seeds = {1, 1}", "seeds lists a seed twice: 1, 1"),
            ("seeds = {1, -2}", "seeds must list integers from 0 to 2147483647, got -2"),
            ("seeds = {1, 0/0}", "seeds must list integers from 0 to 2147483647, got "),
            ("seeds = 'three'", "seeds must be a count of seeds (1 to 1000) or a list of seeds"),
            ("seeds = {}", "seeds must be a count of seeds"),
            ("seeds = 2, seed = 3", "give seed (one run) or seeds (one run per seed), not both"),
            ("name = 'a@s1'", "run name 'a@s1' must use letters"),
        ] {
            XCTAssertThrowsError(try study(base + "e:run { \(run) }", out: tmp()), run) {
                XCTAssertTrue("\($0)".contains(message), "\(run): \($0)")
            }
        }
        XCTAssertThrowsError(try study(base + "e:run { name = 'a@s2' }\ne:run { name = 'a', seeds = 2 }", out: tmp())) {
            XCTAssertTrue("\($0)".contains("must use letters"), "\($0)")
        }
        XCTAssertThrowsError(try study(base + "e:run { name = 'a', seeds = 2 }\ne:run { name = 'a', seeds = {3} }", out: tmp())) {
            XCTAssertTrue("\($0)".contains("two runs are named 'a'"), "\($0)")
        }
    }

    func csv(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }
}
