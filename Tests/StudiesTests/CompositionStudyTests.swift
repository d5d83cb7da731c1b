import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// Composed optimizers in studies: parameter groups, a chain registered by a plugin, and
/// evaluation with weight averages.
final class CompositionStudyTests: PluginTestCase {
    func tmp() -> String { NSTemporaryDirectory() + "descent-compose-\(UUID().uuidString)" }

    static let plugins = [
        "ema_adam.lua": """
            return {
              kind = "optimizer", name = "ema_adam", defaults = { lr = 0.01, decay = 0.9 },
              build = function(h) return optim.chain{ optim.ema(h.decay), optim.new("adam", { lr = h.lr }) } end,
            }
            """,
    ]

    func run(_ script: String, out: String) throws {
        let (vm, registry) = boot([try directory(Self.plugins)])
        var options = StudyOptions()
        options.outDirectory = out
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.run(script, name: "=study")
        _ = try api.finish()
    }

    static let base = """
        experiment { name = "c", model = "cnn", dataset = "shapes", dataset_args = { train = 16, val = 8 }, size = 16,
          steps = 4, batch = 4, eval_every = 2, schedule = false }
        """

    func testGroupsFreezeWhatTheyMatch() throws {
        let out = tmp()
        try run(Self.base + """
            run { name = "frozen_bias", optimizer = "sgd", hyper = { lr = 0.1 }, groups = { { match = "bias$", lr = 0 } } }
            """, out: out)
        XCTAssertEqual(try RunFiles.readSummary(out + "/c/frozen_bias/summary.json").status, .ok)
        let archive = try TensorArchive.load(out + "/c/frozen_bias/checkpoint.dtar")
        // The first convolution's bias starts at PyTorch's uniform init; frozen, it must equal a fresh model's.
        let (_, registry) = boot()
        let fresh = try registry.makeModel("cnn", ModelRequest(args: [:], input: [3, 16, 16], classes: 5, detection: false, seed: 1)).module
        let named = Dictionary(uniqueKeysWithValues: fresh.namedParameters().map { ($0.name, $0.tensor) })
        let biases = named.keys.filter { $0.hasSuffix("bias") }.sorted()
        XCTAssertFalse(biases.isEmpty)
        for name in biases { XCTAssertEqual(try archive.tensor("model." + name, path: "").values, named[name]!.values, name) }
        let weight = try archive.tensor("model.0.weight", path: "")
        XCTAssertNotEqual(weight.values, named["0.weight"]!.values, "weights train")
        let config = try String(contentsOfFile: out + "/c/frozen_bias/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains(#""match" : "bias$""#), config)
    }

    func testPluginChainAndEvaluationWithAverages() throws {
        let out = tmp()
        try run(Self.base + """
            run { name = "live", optimizer = "ema_adam" }
            run { name = "averaged", optimizer = "ema_adam", eval_averaged = true }
            """, out: out)
        let live = try RunFiles.readMetrics(out + "/c/live/metrics.csv").rows
        let averaged = try RunFiles.readMetrics(out + "/c/averaged/metrics.csv").rows
        XCTAssertEqual(live.map(\.loss), averaged.map(\.loss), "training is the same")
        XCTAssertNotEqual(live.compactMap(\.valLoss), averaged.compactMap(\.valLoss), "evaluation uses the averages")
        let e = message { try self.run(Self.base + "run { optimizer = \"adam\", eval_averaged = true }", out: tmp()) }
        XCTAssertTrue(e.contains("eval_averaged: adam keeps no weight averages"), e)
        let g = message { try self.run(Self.base + "run { groups = { { lr = 1 } } }", out: tmp()) }
        XCTAssertTrue(g.contains("groups[1] must be a table with match = a Lua pattern on parameter names"), g)
    }
}
