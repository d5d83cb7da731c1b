import DescentPlugins
import DescentCore
import Foundation

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
