import DescentCore
import DescentHost
import Foundation

/// `descent tfod import pipeline.config` and `tfod.import(path)`: the `train_config` of a TF
/// Object Detection API pipeline as a study run — optimizer preset and hyperparameters, the
/// learning-rate schedule, batch size, steps, gradient clipping, flips, weight averaging.
///
/// The TF1 and TF2 APIs build different optimizers from the same text: TF1 `tf.train`
/// optimizers (momentum in the tf1 form, RMSProp's `decay` as its rho, mean square from 1), TF2
/// Keras ones (momentum in the keras form, RMSProp's `decay` passed as Keras's inverse-time lr
/// decay with rho left at 0.9). Any optimizer or learning-rate field without an equivalent is
/// an error naming it; settings that do not change the optimization (checkpoints, replicas,
/// input pipeline, the model itself) are listed as not imported.
public enum PipelineImport {
    /// `tf2`: TF 2.x with Keras 2 (`tf.keras.optimizers.legacy`, TF <= 2.15), as the TF2 OD API
    /// was written for; `keras3`: TF >= 2.16, whose Keras 3 RMSprop ignores `decay` (with a
    /// warning), so no inverse-time decay.
    public enum Version: Int {
        case tf1 = 1, tf2 = 2, keras3 = 3

        var isTF2: Bool { self != .tf1 }
        var header: String {
            switch self {
            case .tf1: return "TF1 Object Detection API: tf.train optimizers"
            case .tf2: return "TF2 Object Detection API with Keras 2 (TF <= 2.15, tf.keras.optimizers.legacy): RMSprop's decay is inverse-time lr decay"
            case .keras3: return "TF2 Object Detection API with Keras 3 (TF >= 2.16): RMSprop ignores the proto's decay"
            }
        }
    }

    public struct Result {
        /// The run's fields, as `study:run{...}` takes them.
        public let run: [String: LuaValue]
        /// What was left out, and why.
        public let notes: [String]
    }

    /// train_config fields that do not change how the optimizer updates the weights.
    static let ignored: Set<String> = [
        "fine_tune_checkpoint", "fine_tune_checkpoint_version", "fine_tune_checkpoint_type", "sync_replicas", "startup_delay_steps",
        "replicas_to_aggregate", "use_bfloat16", "max_number_of_boxes", "unpad_groundtruth_tensors", "load_all_detection_checkpoint_vars",
        "from_detection_checkpoint", "keep_checkpoint_every_n_hours", "batch_queue_capacity", "num_batch_queue_threads",
        "prefetch_queue_capacity", "merge_multiple_label_boxes", "retain_original_images", "summarize_gradients",
        "retain_original_image_additional_channels", "use_multiclass_scores", "fine_tune_checkpoint_sample_weight",
    ]

    /// One message of the file, with its dotted path for errors.
    struct Message {
        let fields: [TextProto.Field]
        let path: String
        let file: String

        func fail(_ field: TextProto.Field, _ why: String) -> DescentError {
            .file(file, "line \(field.line): \(path).\(field.name): \(why)")
        }

        /// Throws on the first field not in `known`.
        func only(_ known: Set<String>, _ why: String = "has no Descent equivalent") throws {
            if let f = fields.first(where: { !known.contains($0.name) }) { throw fail(f, why) }
        }

        func all(_ name: String) -> [TextProto.Field] { fields.filter { $0.name == name } }

        func single(_ name: String) throws -> TextProto.Field? {
            let found = all(name)
            if found.count > 1 { throw fail(found[1], "appears more than once") }
            return found.first
        }

        func message(_ name: String) throws -> Message? {
            guard let f = try single(name) else { return nil }
            guard case .message(let m) = f.value else { throw fail(f, "a { ... } block expected") }
            return Message(fields: m, path: path + "." + name, file: file)
        }

        func number(_ name: String, _ fallback: Double) throws -> Double {
            guard let f = try single(name) else { return fallback }
            guard case .scalar(let s) = f.value, let v = TextProto.number(s), v.isFinite else { throw fail(f, "a finite number expected") }
            return v
        }

        func integer(_ name: String, _ fallback: Int) throws -> Int {
            guard let f = try single(name) else { return fallback }
            guard case .scalar(let s) = f.value, let v = TextProto.number(s)?.exactInteger(in: 0...(1 << 40)) else { throw fail(f, "a non-negative integer expected") }
            return v
        }

        func bool(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let f = try single(name) else { return fallback }
            guard case .scalar(let s) = f.value, let b = TextProto.bool(s) else { throw fail(f, "true or false expected") }
            return b
        }

        /// The one block of `names` present (a proto `oneof`).
        func oneOf(_ names: [String], in field: String) throws -> (String, Message) {
            let present = fields.filter { names.contains($0.name) }
            guard present.count == 1, let m = try message(present[0].name) else {
                throw DescentError.file(file, "\(path): exactly one of \(names.joined(separator: ", ")) expected in \(field)")
            }
            return (present[0].name, m)
        }
    }

    /// `steps`, when given, replaces the file's `num_steps` (which may be 0: "train forever").
    public static func load(_ path: String, version: Version, steps: Int? = nil) throws -> Result {
        let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
        return try parse(text, path: path, version: version, steps: steps)
    }

    public static func parse(_ text: String, path: String, version: Version, steps override: Int? = nil) throws -> Result {
        let top = Message(fields: try TextProto(text, path: path).fields, path: "", file: path)
        guard let train = try top.message("train_config").map({ Message(fields: $0.fields, path: "train_config", file: path) }) else {
            throw DescentError.file(path, "no train_config block (is this a TF Object Detection API pipeline.config?)")
        }
        var notes = top.fields.filter { $0.name != "train_config" }.map { "\($0.name): not imported (the study gives the model and the data)" }
        var run: [String: LuaValue] = [:]
        try train.only(ignored.union(["batch_size", "num_steps", "optimizer", "gradient_clipping_by_norm", "data_augmentation_options"]))
        for f in train.fields where ignored.contains(f.name) { notes.append("train_config.\(f.name): not imported (does not change the optimization)") }
        run["batch"] = .integer(try train.integer("batch_size", 32))
        let steps = try train.integer("num_steps", 0)
        if let override {
            guard override >= 1, override <= 1 << 31 else { throw DescentError.argument("tfod import", "steps", "must be from 1 to 2^31, got \(override)") }
            if steps != override { notes.append("train_config.num_steps: \(steps) replaced by \(override) (--steps)") }
            run["steps"] = .integer(override)
        } else {
            guard steps > 0 else {
                throw DescentError.file(path, "train_config.num_steps: 0 (or absent) trains forever in the TF OD API; give a number of steps (--steps N, or tfod.import(path, {steps = N}))")
            }
            run["steps"] = .integer(steps)
        }
        var augment: [String: LuaValue] = [:]
        for block in train.all("data_augmentation_options") {
            guard case .message(let options) = block.value else { throw train.fail(block, "a { ... } block expected") }
            for o in options {
                let where_ = "train_config.data_augmentation_options.\(o.name)"
                guard case .message(let m) = o.value else { throw train.fail(o, "a { ... } block expected") }
                let option = Message(fields: m, path: where_, file: path)
                switch o.name {
                case "random_horizontal_flip":
                    try option.only(["probability", "keypoint_flip_permutation"])
                    augment["flip"] = .number(try option.number("probability", 0.5))
                case "random_adjust_brightness":
                    // TF adds delta ~ U(-max_delta, max_delta) to the image scaled to [0, 1] (then
                    // clips to [0, 1]); Descent's brightness is that shift, without the clip.
                    try option.only(["max_delta"])
                    let delta = try option.number("max_delta", 0.2)
                    augment["brightness"] = .number(delta)
                    notes.append("\(where_): brightness = \(delta) (a shift of the [0, 1] image in [-\(delta), \(delta)], as TF's; TF then clips to [0, 1], Descent does not)")
                case "random_adjust_contrast":
                    // TF scales each channel's deviation from its mean by U(min_delta, max_delta);
                    // Descent's contrast c draws the factor from [1 - c, 1 + c] around the image mean.
                    try option.only(["min_delta", "max_delta"])
                    let lo = try option.number("min_delta", 0.8), hi = try option.number("max_delta", 1.25)
                    let c = max(1 - lo, hi - 1, 0)
                    augment["contrast"] = .number(c)
                    notes.append("\(where_): contrast = \(c) (factor in [\(1 - c), \(1 + c)] for TF's [\(lo), \(hi)], around the image's mean rather than each channel's)")
                default:
                    notes.append("\(where_): not imported (Descent augments with flip, jitter, brightness, contrast)")
                }
            }
        }
        if !augment.isEmpty { run["augment"] = .table(augment) }
        guard let optimizer = try train.message("optimizer") else { throw DescentError.file(path, "train_config has no optimizer") }
        try optimizer.only(["momentum_optimizer", "rms_prop_optimizer", "adam_optimizer", "use_moving_average", "moving_average_decay"])
        let (kind, opt) = try optimizer.oneOf(["momentum_optimizer", "rms_prop_optimizer", "adam_optimizer"], in: "optimizer")
        var hyper: [String: LuaValue] = [:]
        switch kind {
        case "momentum_optimizer":
            try opt.only(["learning_rate", "momentum_optimizer_value"])
            hyper["momentum"] = .number(try opt.number("momentum_optimizer_value", 0.9))
            if version.isTF2 { hyper["form"] = .string("keras") }
            run["optimizer"] = .string(version == .tf1 ? "tfod_momentum" : "momentum")
        case "rms_prop_optimizer":
            try opt.only(["learning_rate", "momentum_optimizer_value", "decay", "epsilon"])
            hyper["momentum"] = .number(try opt.number("momentum_optimizer_value", 0.9))
            hyper["epsilon"] = .number(try opt.number("epsilon", 1.0))
            // TF1: tf.train.RMSPropOptimizer(decay=...) is rho; TF2 hands it to Keras as lr decay,
            // which Keras 3 ignores.
            let decay = try opt.number("decay", 0.9)
            switch version {
            case .tf1: hyper["rho"] = .number(decay)
            case .tf2: hyper["decay"] = .number(decay)
            case .keras3: notes.append("rms_prop_optimizer.decay: \(decay) ignored, as Keras 3 ignores RMSprop's decay (--tf2 models Keras 2's inverse-time decay)")
            }
            run["optimizer"] = .string(version == .tf1 ? "tfod_rmsprop" : version == .tf2 ? "tfod2_rmsprop" : "tfod2_rmsprop_keras3")
        default:
            try opt.only(["learning_rate", "epsilon"])
            hyper["epsilon"] = .number(try opt.number("epsilon", 1e-8))
            if version.isTF2 { hyper["form"] = .string("tf") }
            run["optimizer"] = .string(version == .tf1 ? "tfod_adam" : "adam")
        }
        let clip = try train.number("gradient_clipping_by_norm", 0)
        if clip > 0 { hyper["clip_norm"] = .number(clip) }
        run["hyper"] = .table(hyper)
        guard let rate = try opt.message("learning_rate") else { throw DescentError.file(path, "\(opt.path) has no learning_rate") }
        (run["schedule"], run["schedule_args"]) = try schedule(rate)
        if try optimizer.bool("use_moving_average", true) {
            // TF1's MovingAverageOptimizer keeps the decay fixed; TF2's ExponentialMovingAverage
            // (dynamic_decay) uses min(decay, (1 + t) / (10 + t)).
            let decay = LuaValue.number(try optimizer.number("moving_average_decay", 0.9999))
            run["ema"] = version == .tf1 ? decay : .table(["decay": decay, "dynamic": .bool(true)])
        }
        var seen = Set<String>()   // a repeated field (two eval_input_reader blocks) is one note
        return Result(run: run, notes: notes.filter { seen.insert($0).inserted })
    }

    /// The learning-rate block as a Descent schedule and its arguments.
    static func schedule(_ rate: Message) throws -> (LuaValue, LuaValue) {
        let (kind, m) = try rate.oneOf(["constant_learning_rate", "exponential_decay_learning_rate", "manual_step_learning_rate",
                                        "cosine_decay_learning_rate"], in: "learning_rate")
        try rate.only([kind])
        switch kind {
        case "constant_learning_rate":
            try m.only(["learning_rate"])
            return (.string("constant"), .table(["base": .number(try m.number("learning_rate", 0.002))]))
        case "exponential_decay_learning_rate":
            try m.only(["initial_learning_rate", "decay_steps", "decay_factor", "staircase", "burnin_learning_rate", "burnin_steps", "min_learning_rate"])
            return (.string("exponential_decay"), .table([
                "base": .number(try m.number("initial_learning_rate", 0.002)), "decay_steps": .integer(try m.integer("decay_steps", 4_000_000)),
                "rate": .number(try m.number("decay_factor", 0.95)), "staircase": .bool(try m.bool("staircase", true)),
                "burnin_lr": .number(try m.number("burnin_learning_rate", 0)), "burnin_steps": .integer(try m.integer("burnin_steps", 0)),
                "min_lr": .number(try m.number("min_learning_rate", 0)),
            ]))
        case "manual_step_learning_rate":
            try m.only(["initial_learning_rate", "schedule", "warmup"])
            var boundaries: [LuaValue] = [], values: [LuaValue] = [.number(try m.number("initial_learning_rate", 0.002))]
            for f in m.all("schedule") {
                guard case .message(let entry) = f.value else { throw m.fail(f, "a { step: N learning_rate: X } block expected") }
                let step = Message(fields: entry, path: m.path + ".schedule", file: m.file)
                try step.only(["step", "learning_rate"])
                boundaries.append(.integer(try step.integer("step", 0)))
                values.append(.number(try step.number("learning_rate", 0.002)))
            }
            return (.string("piecewise"), .table(["boundaries": .array(boundaries), "values": .array(values), "warmup": .bool(try m.bool("warmup", false))]))
        default:
            try m.only(["learning_rate_base", "total_steps", "warmup_learning_rate", "warmup_steps", "hold_base_rate_steps"])
            return (.string("cosine_decay"), .table([
                "base": .number(try m.number("learning_rate_base", 0.002)), "total_steps": .integer(try m.integer("total_steps", 4_000_000)),
                "warmup_lr": .number(try m.number("warmup_learning_rate", 0.0002)), "warmup_steps": .integer(try m.integer("warmup_steps", 10000)),
                "hold_steps": .integer(try m.integer("hold_base_rate_steps", 0)),
            ]))
        }
    }

    /// The run as Lua a study script can paste: `study:run { ... }`, notes as comments.
    public static func lua(_ r: Result, name: String, source: String, version: Version) -> String {
        func text(_ v: LuaValue) -> String {
            switch v {
            case .string(let s): return LuaSource.string(s)
            case .integer(let i): return String(i)
            case .number(let d): return LuaSource.number(d)
            case .bool(let b): return String(b)
            case .array(let a): return "{ " + a.map(text).joined(separator: ", ") + " }"
            case .table(let t): return "{ " + t.keys.sorted().map { "\(LuaSource.key($0)) = \(text(t[$0]!))" }.joined(separator: ", ") + " }"
            default: return "nil"
            }
        }
        // The path and the notes come from the file system and the config: each stays one comment line.
        var out = "-- Imported from \(LuaSource.string(source)) by `descent tfod import`.\n-- Modelled: \(version.header).\n"
        for n in r.notes { out += "-- \(LuaSource.commentLine(n))\n" }
        out += "study:run {\n  name = \(text(.string(name))),\n"
        for key in ["optimizer", "hyper", "schedule", "schedule_args", "batch", "steps", "augment", "ema"] {
            if let v = r.run[key] { out += "  \(key) = \(text(v)),\n" }
        }
        return out + "}\n"
    }
}
