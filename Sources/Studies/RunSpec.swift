import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// Everything one training run is made of, resolved: the experiment's settings with the run's
/// overrides applied. Two runs of a study differ only where their `RunSpec`s differ.
public struct RunSpec: Equatable {
    public var experiment: String
    public var name: String
    public var model = "detector"
    public var modelArgs: [String: Double] = [:]
    public var dataset = "street_scenes"
    public var datasetArgs: [String: LuaValue] = [:]
    /// Square input side for synthetic datasets (and those that resize, as image_folder).
    public var size = 64
    /// Whether the study set `size`: a dataset whose files fix another size is then an error.
    public var sizeGiven = false
    public var steps = 300
    public var batch = 16
    public var seed = 1
    /// `seeds = {1, 2, 3}` (or `seeds = 3`): the run trains once per seed (`expandedBySeed`).
    public var seeds: [Int]? = nil
    /// For one seed's run of a seeded setting: the setting's name (the run is `<setting>@s<seed>`).
    public var setting: String? = nil
    public var optimizer = "adam"
    public var hyper: [String: HyperValue] = [:]
    public var schedule: String? = nil
    public var scheduleArgs: [String: HyperValue] = [:]
    public var augment = Augmentation()
    public var evalEvery = 100
    /// Loss level for "steps to threshold" (on the smoothed loss).
    public var threshold = 1.0
    /// Parameter groups: a Lua pattern on parameter names (`bias$`) and the hyperparameters
    /// the group sets (`optim.new(name, hyper, {groups = ...})`).
    public var groups: [GroupSpec] = []

    public struct GroupSpec: Equatable {
        public var match: String
        public var hyper: [String: HyperValue]
    }
    /// Evaluate with the optimizer's weight averages (`optim.ema` in a chain) instead of the live weights.
    public var evalAveraged = false
    /// Polyak averaging of the weights with this decay (`optim.ema`), evaluated with the
    /// averages (TF OD API's `use_moving_average`).
    public var ema: Double? = nil
    /// TF's step-dependent decay for `ema`: min(ema, (1 + t) / (10 + t)).
    public var emaDynamic = false
    /// Steps between checkpoints (0: only when stopped and at the end); nil: at every
    /// evaluation, or every tenth of the run when there is none.
    public var checkpointEvery: Int? = nil

    /// The checkpoint interval in effect.
    var checkpointInterval: Int {
        checkpointEvery ?? (evalEvery > 0 ? evalEvery : max(1, steps / 10))
    }

    /// What decides a run's results: the resolved settings (not its name, nor how often it is
    /// checkpointed) and the source hash of each Lua plugin it uses. Equal hashes mean a
    /// finished run need not train again.
    func configuration(registry: PluginRegistry) -> RunConfiguration {
        var plugins: [String: Any] = [:]
        for (kind, name) in [(PluginKind.optimizer, optimizer), (.schedule, schedule), (.model, model), (.dataset, dataset)] {
            guard let name, let p = registry.plugin(kind, name) else { continue }
            var entry: [String: Any] = ["name": name, "origin": p.origin.description]
            entry["sha256"] = p.sha256
            plugins[kind.rawValue] = entry
        }
        var identity = json
        for k in ["run", "experiment", "checkpoint_every", "setting"] { identity[k] = nil }
        identity["plugins"] = plugins.mapValues { ($0 as! [String: Any]).filter { $0.key != "origin" } }
        func hash(_ d: [String: Any]) -> String {
            SHA256.hex((try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys])) ?? Data())
        }
        // The setting's hash: what its seeds share (TensorBoard's HParams group).
        var setting = identity
        setting["seed"] = nil
        return RunConfiguration(plugins: plugins, hash: hash(identity), settingHash: hash(setting))
    }

    /// The runs this one stands for: itself, or with `seeds` one per seed, named
    /// `<name>@s<seed>`, each with its setting's name.
    var expandedBySeed: [RunSpec] {
        guard let seeds else { return [self] }
        return seeds.map { s in
            var r = self
            (r.seeds, r.seed, r.setting, r.name) = (nil, s, name, "\(name)@s\(s)")
            return r
        }
    }
}

/// A run's plugins (name, origin, source hash by kind) and its configuration hashes: `hash`
/// identifies the run's results, `settingHash` what the seeds of its setting share.
struct RunConfiguration {
    let plugins: [String: Any]
    let hash: String
    let settingHash: String
}
