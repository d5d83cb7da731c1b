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
    /// Square input side for synthetic datasets.
    public var size = 64
    public var steps = 300
    public var batch = 16
    public var seed = 1
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
    func configuration(registry: PluginRegistry) -> (plugins: [String: Any], hash: String) {
        var plugins: [String: Any] = [:]
        for (kind, name) in [(PluginKind.optimizer, optimizer), (.schedule, schedule), (.model, model), (.dataset, dataset)] {
            guard let name, let p = registry.plugin(kind, name) else { continue }
            var entry: [String: Any] = ["name": name, "origin": p.origin.description]
            entry["sha256"] = p.sha256
            plugins[kind.rawValue] = entry
        }
        var identity = json
        for k in ["run", "experiment", "checkpoint_every"] { identity[k] = nil }
        identity["plugins"] = plugins.mapValues { ($0 as! [String: Any]).filter { $0.key != "origin" } }
        let bytes = (try? JSONSerialization.data(withJSONObject: identity, options: [.sortedKeys])) ?? Data()
        return (plugins, SHA256.hex(bytes))
    }
}
