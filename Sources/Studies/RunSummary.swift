import DescentPlugins
import DescentCore
import Foundation

/// The outcome of one run, as written to summary.json and shown in the results table.
public struct RunSummary: Equatable {
    /// `interrupted`: stopped by a signal; running the study again resumes it. `incomplete`:
    /// no summary on disk (not started yet, or its process was killed); never written.
    public enum Status: String { case ok, diverged, failed, interrupted, incomplete }

    public var name: String
    public var status: Status
    public var error: String?
    public var steps: Int
    public var finalLoss: Double?
    public var bestLoss: Double?
    public var metricName: String
    public var bestMetric: Double?
    public var stepsToThreshold: Int?
    public var seconds: Double
    /// The detector's AP per class at the last evaluation.
    public var finalPerClass: [String: Double]?
    /// The configuration hash of the run these results belong to (see `RunSpec.configuration`).
    public var configHash: String?
    /// For one seed of a setting declared with `seeds`: the setting's name and the seed.
    public var setting: String?
    public var seed: Int?
    /// Set for a run another shard (`--shard i/n`) trains: what this process read of it from
    /// disk, or `incomplete`. Not written to summary.json.
    public var otherShard = false

    var json: [String: Any] {
        var d: [String: Any] = ["run": name, "status": status.rawValue, "steps": steps, "metric": metricName, "seconds": seconds]
        d["error"] = error
        d["final_loss"] = finalLoss
        d["best_loss"] = bestLoss
        d["best_metric"] = bestMetric
        d["steps_to_threshold"] = stepsToThreshold
        d["ap_per_class"] = finalPerClass
        d["config_hash"] = configHash
        d["setting"] = setting
        d["seed"] = seed
        return d
    }

    init(name: String, status: Status, error: String? = nil, steps: Int = 0, finalLoss: Double? = nil, bestLoss: Double? = nil,
         metricName: String = "", bestMetric: Double? = nil, stepsToThreshold: Int? = nil, seconds: Double = 0) {
        (self.name, self.status, self.error, self.steps, self.finalLoss, self.bestLoss) = (name, status, error, steps, finalLoss, bestLoss)
        (self.metricName, self.bestMetric, self.stepsToThreshold, self.seconds) = (metricName, bestMetric, stepsToThreshold, seconds)
    }

    init(json d: [String: Any], path: String) throws {
        guard let name = d["run"] as? String, let s = d["status"] as? String, let status = Status(rawValue: s) else {
            throw DescentError.file(path, "summary with 'run' and 'status' expected")
        }
        self.init(name: name, status: status, error: d["error"] as? String, steps: d["steps"] as? Int ?? 0,
                  finalLoss: d["final_loss"] as? Double, bestLoss: d["best_loss"] as? Double, metricName: d["metric"] as? String ?? "",
                  bestMetric: d["best_metric"] as? Double, stepsToThreshold: d["steps_to_threshold"] as? Int, seconds: d["seconds"] as? Double ?? 0)
        finalPerClass = d["ap_per_class"] as? [String: Double]
        configHash = d["config_hash"] as? String
        setting = d["setting"] as? String
        seed = d["seed"] as? Int
    }
}
