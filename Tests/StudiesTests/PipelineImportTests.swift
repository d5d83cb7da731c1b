import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// `descent tfod import`: pipeline.config text (shaped like the TF OD API's published
/// samples) to a study run, for TF1 and TF2, and its errors.
final class PipelineImportTests: PluginTestCase {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/tfod/ssd_efficientdet_d0_512x512.config").path

    func train(_ optimizer: String, extra: String = "") -> String {
        """
        model { ssd { num_classes: 2 } }
        train_config {
          batch_size: 24
          num_steps: 2000
          \(extra)
          optimizer { \(optimizer) }
        }
        """
    }

    func testEfficientDetSampleAsTF2AndTF1() throws {
        let tf2 = try PipelineImport.load(Self.sample, version: .tf2).run
        XCTAssertEqual(tf2["optimizer"], .string("momentum"))
        XCTAssertEqual(tf2["hyper"], .table(["momentum": .number(0.9), "form": .string("keras")]))
        XCTAssertEqual(tf2["schedule"], .string("cosine_decay"))
        XCTAssertEqual(tf2["schedule_args"], .table(["base": .number(0.08), "total_steps": .integer(300000), "warmup_lr": .number(0.001),
                                                     "warmup_steps": .integer(2500), "hold_steps": .integer(0)]))
        XCTAssertEqual(tf2["batch"], .integer(128))
        XCTAssertEqual(tf2["steps"], .integer(300000))
        XCTAssertEqual(tf2["augment"], .table(["flip": .number(0.5)]))
        XCTAssertNil(tf2["ema"], "use_moving_average: false")
        XCTAssertEqual(try PipelineImport.load(Self.sample, version: .tf1).run["optimizer"], .string("tfod_momentum"))
    }

    /// TF's brightness and contrast options map to Descent's, with notes on what differs.
    func testBrightnessAndContrastAreMapped() throws {
        let momentum = "momentum_optimizer { learning_rate { constant_learning_rate { learning_rate: 0.01 } } momentum_optimizer_value: 0.9 }"
        let extra = """
            data_augmentation_options { random_horizontal_flip { } }
            data_augmentation_options { random_adjust_brightness { max_delta: 0.3 } }
            data_augmentation_options { random_adjust_contrast { } }
            data_augmentation_options { random_rgb_to_gray { } }
            """
        let result = try PipelineImport.parse(train(momentum, extra: extra), path: "p", version: .tf2)
        XCTAssertEqual(result.run["augment"], .table(["flip": .number(0.5), "brightness": .number(0.3), "contrast": .number(0.25)]))
        XCTAssertTrue(result.notes.contains { $0.contains("random_adjust_brightness: brightness = 0.3") }, "\(result.notes)")
        XCTAssertTrue(result.notes.contains { $0.contains("contrast = 0.25 (factor in [0.75, 1.25] for TF's [0.8, 1.25]") }, "\(result.notes)")
        XCTAssertTrue(result.notes.contains { $0.contains("random_rgb_to_gray: not imported") }, "\(result.notes)")
        XCTAssertThrowsError(try PipelineImport.parse(train(momentum, extra: "data_augmentation_options { random_adjust_brightness { max_delt: 1 } }"), path: "p", version: .tf2))
    }

    /// Keras 3 (TF >= 2.16) ignores RMSprop's decay: --keras3 says so and drops it; the header
    /// names the TensorFlow each mapping models.
    func testKeras3DropsRMSpropDecay() throws {
        let rms = "rms_prop_optimizer { learning_rate { constant_learning_rate { learning_rate: 0.004 } } momentum_optimizer_value: 0.9 decay: 0.9 epsilon: 1.0 }"
        let k3 = try PipelineImport.parse(train(rms), path: "p", version: .keras3)
        XCTAssertEqual(k3.run["optimizer"], .string("tfod2_rmsprop_keras3"))
        XCTAssertEqual(k3.run["hyper"], .table(["momentum": .number(0.9), "epsilon": .number(1)]))
        XCTAssertTrue(k3.notes.contains { $0.contains("decay: 0.9 ignored, as Keras 3 ignores RMSprop's decay") }, "\(k3.notes)")
        XCTAssertTrue(PipelineImport.lua(k3, name: "x", source: "p", version: .keras3).contains("-- Modelled: TF2 Object Detection API with Keras 3 (TF >= 2.16)"))
        let tf2 = try PipelineImport.parse(train(rms), path: "p", version: .tf2)
        XCTAssertTrue(PipelineImport.lua(tf2, name: "x", source: "p", version: .tf2).contains("with Keras 2 (TF <= 2.15"))
        let preset = try NativeOptimizers.make("tfod2_rmsprop_keras3", [])
        XCTAssertEqual(preset.hyper.number("decay"), 0)
        XCTAssertEqual(preset.hyper.string("form"), "keras")
    }

    func testOptimizersAndSchedules() throws {
        let rms = "rms_prop_optimizer { learning_rate { exponential_decay_learning_rate { initial_learning_rate: 0.004 decay_steps: 800720 decay_factor: 0.95 } } momentum_optimizer_value: 0.9 decay: 0.9 epsilon: 1.0 }"
        let tf1 = try PipelineImport.parse(train(rms), path: "p", version: .tf1).run
        XCTAssertEqual(tf1["optimizer"], .string("tfod_rmsprop"))
        XCTAssertEqual(tf1["hyper"], .table(["momentum": .number(0.9), "rho": .number(0.9), "epsilon": .number(1)]), "TF1: decay is rho")
        let tf2 = try PipelineImport.parse(train(rms), path: "p", version: .tf2).run
        XCTAssertEqual(tf2["optimizer"], .string("tfod2_rmsprop"))
        XCTAssertEqual(tf2["hyper"], .table(["momentum": .number(0.9), "decay": .number(0.9), "epsilon": .number(1)]), "TF2: decay is Keras lr decay")
        XCTAssertEqual(tf2["schedule"], .string("exponential_decay"))
        XCTAssertEqual(tf2["ema"], .table(["decay": .number(0.9999), "dynamic": .bool(true)]),
                       "use_moving_average defaults to true in optimizer.proto; TF2's average has the dynamic decay")
        XCTAssertEqual(tf1["ema"], .number(0.9999), "TF1's MovingAverageOptimizer keeps the decay fixed")
        let adam = "adam_optimizer { learning_rate { manual_step_learning_rate { initial_learning_rate: 0.0002 schedule { step: 900 learning_rate: .00002 } schedule { step: 1200 learning_rate: .000002 } } } } use_moving_average: false"
        let a = try PipelineImport.parse(train(adam, extra: "gradient_clipping_by_norm: 10.0"), path: "p", version: .tf2).run
        XCTAssertEqual(a["optimizer"], .string("adam"))
        XCTAssertEqual(a["hyper"], .table(["epsilon": .number(1e-8), "form": .string("tf"), "clip_norm": .number(10)]))
        XCTAssertEqual(a["schedule"], .string("piecewise"))
        XCTAssertEqual(a["schedule_args"], .table(["boundaries": .array([.integer(900), .integer(1200)]), "values": .array([.number(0.0002), .number(0.00002), .number(0.000002)]),
                                                   "warmup": .bool(false)]))
        let constant = try PipelineImport.parse(train("momentum_optimizer { learning_rate { constant_learning_rate { learning_rate: 0.01 } } } use_moving_average: false"),
                                                path: "p", version: .tf1).run
        XCTAssertEqual(constant["schedule_args"], .table(["base": .number(0.01)]))
    }

    func testWhatCannotBeMappedIsAnErrorNamingTheField() {
        let cases: [(String, String)] = [
            (train("momentum_optimizer { learning_rate { constant_learning_rate { learning_rate: 0.01 } } momentum_optimizer_value: 0.9 nesterov: true }"),
             "p: line 6: train_config.optimizer.momentum_optimizer.nesterov: has no Descent equivalent"),
            (train("sgd_optimizer { }"), "optimizer.sgd_optimizer: has no Descent equivalent"),
            (train("momentum_optimizer { learning_rate { cosine_decay_learning_rate { learning_rate_base: 0.1 total_steps: 10 warmup_learning_rate: 0.01 warmup_steps: 2 extra: 1 } } }"),
             "cosine_decay_learning_rate.extra: has no Descent equivalent"),
            (train("momentum_optimizer { learning_rate { } }"), "exactly one of constant_learning_rate"),
            (train("momentum_optimizer { learning_rate { constant_learning_rate { learning_rate: fast } } }"), "constant_learning_rate.learning_rate: a finite number expected"),
            (train("momentum_optimizer { }", extra: "bias_grad_multiplier: 2.0"), "train_config.bias_grad_multiplier: has no Descent equivalent"),
            ("model { }", "no train_config block"),
            ("train_config { num_steps: 0 optimizer { } }", "num_steps: 0 (or absent) trains forever"),
            ("train_config { batch_size: 24", "'}' expected before the end of the file"),
            ("train_config { batch_size 24 }", "line 1: ':' or '{' expected after 'batch_size'"),
            ("train_config { name: \"open }", "unterminated string"),
            (String(repeating: "a { ", count: 70) + String(repeating: "} ", count: 70), "nested more than 64 deep"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try PipelineImport.parse(text, path: "p", version: .tf2)) { XCTAssertTrue("\($0)".contains(expected), "\($0)\nexpected: \(expected)") }
        }
    }

    /// Flipped bytes and cut-off files never trap: each parses or is an error naming the file.
    func testMangledConfigsAreErrorsOrParse() throws {
        let original = Array(try String(contentsOfFile: Self.sample, encoding: .utf8).utf8)
        var rng = RandomGenerator(seed: 17)
        for round in 0..<400 {
            var bytes = original
            if round % 4 == 0 {
                bytes = Array(bytes.prefix(rng.int(below: bytes.count + 1)))
            } else {
                for _ in 0..<(1 + rng.int(below: 6)) { bytes[rng.int(below: bytes.count)] = UInt8(rng.int(below: 256)) }
            }
            do {
                _ = try PipelineImport.parse(String(decoding: bytes, as: UTF8.self), path: "/tmp/mangled.config", version: .tf2)
            } catch let e as DescentError {
                XCTAssertTrue("\(e)".hasPrefix("/tmp/mangled.config"), "round \(round): \(e)")
            }
        }
    }

    /// The whole text format, not only what the importer maps: adjacent string literals, C
    /// escapes, capitalised booleans, `2.0f`, comments between tokens, `<>` blocks, `:`-less
    /// messages, lists, extension and `Any` names; and num_steps 0 given by --steps.
    func testTextFormatAsProtobufWritesIt() throws {
        let text = #"""
            [lstm_object_detection.protos.lstm_model] { train_unroll_length: 4 }
            extras { [type.googleapis.com/a.B] < x: 1 > }
            model < ssd { num_classes: 2 } >   # a comment after a block
            eval_config: { metrics_set: "coco_detection_metrics" metrics_set: "a," "b" # between
              "c\x41\101\n" }
            train_config {
              batch_size: 8
              num_steps: 0
              use_bfloat16: True
              sync_replicas: False
              optimizer { momentum_optimizer: {
                learning_rate: { constant_learning_rate { learning_rate: 2.0e-2f } }
                momentum_optimizer_value: .9 }
                use_moving_average: false }
              data_augmentation_options: [{ random_horizontal_flip {} }]
            }
            """#
        let proto = try TextProto(text, path: "p")
        guard case .message(let eval)? = proto.fields.first(where: { $0.name == "eval_config" })?.value else { return XCTFail("no eval_config") }
        let sets = eval.compactMap { f -> String? in if case .scalar(let s) = f.value { return s } else { return nil } }
        XCTAssertEqual(sets, ["coco_detection_metrics", "a,bcAA\n"])
        XCTAssertEqual(proto.fields.first?.name, "[lstm_object_detection.protos.lstm_model]")
        guard case .message(let extras)? = proto.fields.first(where: { $0.name == "extras" })?.value else { return XCTFail("no extras") }
        XCTAssertEqual(extras.first?.name, "[type.googleapis.com/a.B]")
        for bad in ["[] { }", "[a.b { }", "[a b] { }"] {
            XCTAssertThrowsError(try TextProto(bad, path: "p")) { XCTAssertTrue("\($0)".contains("an extension name and ']' expected"), "\(bad): \($0)") }
        }
        XCTAssertThrowsError(try PipelineImport.parse(text, path: "p.config", version: .tf1)) {
            XCTAssertTrue("\($0)".contains("give a number of steps (--steps N, or tfod.import(path, {steps = N}))"), "\($0)")
        }
        let r = try PipelineImport.parse(text, path: "p.config", version: .tf1, steps: 120)
        XCTAssertEqual(r.run["steps"], .integer(120))
        XCTAssertEqual(r.run["batch"], .integer(8))
        XCTAssertTrue(r.notes.contains("train_config.num_steps: 0 replaced by 120 (--steps)"), "\(r.notes)")
        guard case .table(let hyper)? = r.run["hyper"] else { return XCTFail("no hyper: \(r.run)") }
        XCTAssertEqual(hyper["momentum"], .number(0.9))
        XCTAssertEqual(TextProto.number("2.0e-2f"), 0.02)
        XCTAssertEqual(TextProto.number("0x1F"), 31)
        XCTAssertEqual(TextProto.number("-inf"), -.infinity)
        XCTAssertTrue(TextProto.number("nan")?.isNaN == true)
        XCTAssertEqual([TextProto.bool("True"), TextProto.bool("t"), TextProto.bool("False"), TextProto.bool("0"), TextProto.bool("yes")], [true, true, false, false, nil])
        XCTAssertThrowsError(try TextProto("a: \"\\q\"", path: "p")) { XCTAssertTrue("\($0)".contains("unknown escape"), "\($0)") }
    }

    /// The imported run trains, from a script, with its steps cut for the test.
    func testImportedRunTrains() throws {
        let (vm, registry) = boot()
        var options = StudyOptions()
        let out = NSTemporaryDirectory() + "descent-tfod-\(UUID().uuidString)"
        options.outDirectory = out
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.run("""
            local study = experiment { name = "tfod", model = "detector", model_args = { width = 4, depth = 0 }, dataset = "street_scenes",
              dataset_args = { train = 32, val = 8 }, size = 32, eval_every = 0 }
            local r = tfod.import("\(Self.sample)")
            r.steps, r.batch, r.name = 5, 4, "efficientdet_d0"
            study:run(r)
            """, name: "=study")
        _ = try api.finish()
        let s = try RunFiles.readSummary(out + "/tfod/efficientdet_d0/summary.json")
        XCTAssertEqual(s.status, .ok)
        XCTAssertEqual(s.steps, 5)
        let config = try String(contentsOfFile: out + "/tfod/efficientdet_d0/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"keras\""), config)
        XCTAssertTrue(message { try vm.run(#"tfod.import("/nonexistent.config")"#) }.contains("/nonexistent.config: no such file"))
        XCTAssertTrue(message { try vm.run(#"tfod.import("x", {tf = 3})"#) }.contains("tf must be 1 or 2"))
    }

    /// The generated script quotes everything that came from outside: a file name with a line
    /// break and code after it stays inside its comment, and strings round-trip exactly.
    func testGeneratedLuaQuotesThePathAndTheNotes() throws {
        let result = try PipelineImport.parse(train("momentum_optimizer { learning_rate { constant_learning_rate { learning_rate: 0.1 } } }"),
                                              path: "x", version: .tf1)
        let evilPath = "/tmp/a\nos.exit(3) --\r\u{0}]].config"
        let script = PipelineImport.lua(result, name: "run\"]]\n", source: evilPath, version: .tf1)
        let vm = try LuaVM.scripting()
        try vm.run("ran = {}; study = { run = function(self, r) ran[#ran + 1] = r.name end }")
        try vm.run(script, name: "=generated")
        XCTAssertEqual(try vm.run("return #ran, ran[1]"), [.integer(1), .string("run\"]]\n")])
        XCTAssertTrue(script.hasPrefix("-- Imported from \"/tmp/a\\010os.exit(3) --\\013\\000]].config\" by `descent tfod import`.\n-- Modelled: TF1"), script)
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<200 {
            let s = String(decoding: (0..<rng.int(below: 12)).map { _ in UInt8(rng.int(below: 256)) }, as: UTF8.self)
            XCTAssertEqual(try vm.run("return " + LuaSource.string(s)), [.string(s)], s.debugDescription)
        }
        XCTAssertEqual(try vm.run("return \(LuaSource.number(.infinity)), \(LuaSource.number(-.infinity))"), [.number(.infinity), .number(-.infinity)])
        XCTAssertTrue(try vm.run("local x = \(LuaSource.number(.nan)) return x ~= x")[0] == .bool(true))
    }
}
