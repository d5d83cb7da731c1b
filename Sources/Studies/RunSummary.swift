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

    var json: [String: Any] {
        var d: [String: Any] = ["run": name, "status": status.rawValue, "steps": steps, "metric": metricName, "seconds": seconds]
        d["error"] = error
        d["final_loss"] = finalLoss
        d["best_loss"] = bestLoss
        d["best_metric"] = bestMetric
        d["steps_to_threshold"] = stepsToThreshold
        d["ap_per_class"] = finalPerClass
        d["config_hash"] = configHash
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
    }
}

/// One row of metrics.csv.
struct MetricRow: Equatable, Codable {
    var step: Int
    var loss: Double
    var lr: Double
    var time: Double
    var metric: Double?
    var valLoss: Double?
}

/// The files of a run directory: config.json, metrics.csv, summary.json, all written atomically.
enum RunFiles {
    /// Hyperparameters as JSON values, in a dictionary.
    static func plain(_ h: Hyperparameters) -> [String: Any] {
        plain(Dictionary(uniqueKeysWithValues: h.pairs))
    }

    static func plain(_ h: [String: HyperValue]) -> [String: Any] {
        h.mapValues { v -> Any in
            switch v {
            case .number(let d): return d
            case .bool(let b): return b
            case .string(let s): return s
            case .list(let l): return l
            }
        }
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    static func csv(_ rows: [MetricRow], metricName: String) -> String {
        func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "\($0)" } ?? "" }
        var out = "step,loss,lr,wall_time,\(metricName),val_loss\n"
        for r in rows { out += "\(r.step),\(f(r.loss)),\(f(r.lr)),\(String(format: "%.3f", r.time)),\(f(r.metric)),\(f(r.valLoss))\n" }
        return out
    }

    static func readMetrics(_ path: String) throws -> (metricName: String, rows: [MetricRow]) {
        let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
        var lines = text.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { throw DescentError.file(path, "empty metrics file") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard header.count == 6, header[0] == "step" else { throw DescentError.file(path, "metrics header 'step,loss,lr,wall_time,<metric>,val_loss' expected") }
        let rows = try lines.enumerated().map { i, line -> MetricRow in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, let step = Int(f[0]) else { throw DescentError.file(path, "line \(i + 2): 6 comma-separated fields expected") }
            return MetricRow(step: step, loss: Double(f[1]) ?? .nan, lr: Double(f[2]) ?? .nan, time: Double(f[3]) ?? 0,
                             metric: Double(f[4]), valLoss: Double(f[5]))
        }
        return (header[4], rows)
    }

    static func readSummary(_ path: String) throws -> RunSummary {
        guard let d = try JSONSerialization.jsonObject(with: try AtomicFile.read(path)) as? [String: Any] else {
            throw DescentError.file(path, "a JSON object expected")
        }
        return try RunSummary(json: d, path: path)
    }
}
