import DescentCore
import Foundation

/// The study-level table, `runs/<study>/results.csv`: one row per run, ranked by the study's
/// metric (higher first; runs without one last, then by final loss), with every resolved
/// hyperparameter of its config.json as a column of its own — so a sweep needs no join.
struct ResultsTable {
    struct Row {
        let run: Report.Run
        let summary: RunSummary
        /// Setting name → value, from config.json: run fields (`optimizer`, `batch`, ...),
        /// the optimizer's hyperparameters by their key (`lr`, `momentum`), the schedule's as
        /// `schedule.<key>`.
        let settings: [String: SettingValue]
        /// The settings the study script gave this run (not defaults): what a study varies.
        let given: Set<String>
        let hash: String
        /// The setting this run is one seed of (`seeds`); a run without seeds is its own.
        var setting: String { run.config["setting"] as? String ?? run.name }
    }

    /// A setting's value: numbers compare and plot, text names things.
    enum SettingValue: Equatable, CustomStringConvertible {
        case number(Double), text(String)

        var description: String {
            switch self {
            case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
            case .text(let s): return s
            }
        }

        var number: Double? { if case .number(let d) = self { return d } else { return nil } }

        /// A value JSONSerialization read. (Its numbers are NSNumbers that also cast to Bool
        /// when 0 or 1; JSON's booleans are the ones of type "c".)
        init?(_ any: Any) {
            switch any {
            case let n as NSNumber where String(cString: n.objCType) == "c": self = .text(n.boolValue ? "true" : "false")
            case let n as NSNumber: self = .number(n.doubleValue)
            case let s as String: self = .text(s)
            case let l as [Any]: self = .text(l.compactMap { SettingValue($0)?.description }.joined(separator: " "))
            default: return nil
            }
        }
    }

    let rows: [Row]
    /// Setting columns in order: run fields first, then hyperparameters, then schedule arguments.
    let columns: [String]
    let metricName: String

    /// Run fields worth a column (the rest of config.json is bookkeeping).
    static let runFields = ["optimizer", "schedule", "batch", "size", "steps", "seed", "model", "dataset"]

    init(_ runs: [Report.Run]) {
        var rows: [Row] = []
        for run in runs {
            let config = run.config
            let settings = Self.settings(config)
            let given = Set(Self.runFields + ((config["hyper_given"] as? [String: Any])?.keys.map { $0 } ?? [])
                            + ((config["schedule_args_given"] as? [String: Any])?.keys.map { "schedule." + $0 } ?? []))
            let summary = run.summary ?? RunSummary(name: run.name, status: .incomplete, steps: run.rows.count, metricName: run.metricName)
            rows.append(Row(run: run, summary: summary, settings: settings, given: given, hash: config["config_hash"] as? String ?? ""))
        }
        self.rows = rows.sorted(by: Self.ranked)
        let keys = Set(rows.flatMap(\.settings.keys))
        let fields = Self.runFields.filter(keys.contains)
        let hyper = keys.filter { !Self.runFields.contains($0) && !$0.hasPrefix("schedule.") }.sorted()
        let schedule = keys.filter { $0.hasPrefix("schedule.") }.sorted()
        columns = fields + hyper + schedule
        metricName = runs.first { !$0.metricName.isEmpty }?.metricName ?? "metric"
    }

    /// The settings of a config.json worth comparing runs by (also the hparams TensorBoard shows).
    static func settings(_ config: [String: Any]) -> [String: SettingValue] {
        var settings: [String: SettingValue] = [:]
        for f in runFields { if let v = config[f].flatMap(SettingValue.init) { settings[f] = v } }
        // While a schedule sets the rate, the optimizer's own lr (its default) says nothing:
        // the column stays empty and schedule.* holds the truth.
        let scheduled = config["schedule"] is String
        for (k, v) in config["hyper"] as? [String: Any] ?? [:] where !(scheduled && k == "lr") { settings[k] = SettingValue(v) }
        for (k, v) in config["schedule_args"] as? [String: Any] ?? [:] { settings["schedule." + k] = SettingValue(v) }
        return settings
    }

    /// Higher best metric first; without one, lower final loss first; then by name.
    static func ranked(_ a: Row, _ b: Row) -> Bool {
        switch (a.summary.bestMetric, b.summary.bestMetric) {
        case let (x?, y?) where x != y: return x > y
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        switch (a.summary.finalLoss, b.summary.finalLoss) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a.run.name < b.run.name
        }
    }

    /// What the study varied: settings the script gave that differ between the runs that have
    /// them (a default that differs because the optimizer does, say Adam's lr, is not one).
    var varied: [String] {
        columns.filter { c in
            let having = rows.filter { $0.given.contains(c) && $0.settings[c] != nil }
            return Set(having.map { $0.settings[c]!.description }).count > 1
        }
    }

    var csv: String {
        let header = ["rank", "run", "setting", "status"] + columns.map(Self.text)
            + ["final_loss", "best_loss", "metric", "best_metric", "steps_trained", "steps_to_threshold", "seconds", "config_hash"]
        var out = header.map(Self.field).joined(separator: ",") + "\n"
        for (i, r) in rows.enumerated() {
            let s = r.summary
            func n(_ v: Double?) -> String { v.map(Self.number) ?? "" }
            let settings = columns.map { c in r.settings[c].map(Self.cell) ?? "" }
            let cells = [String(i + 1), Self.text(r.run.name), Self.text(r.setting), s.status.rawValue] + settings
                + [n(s.finalLoss), n(s.bestLoss), metricName, n(s.bestMetric), String(s.steps), s.stepsToThreshold.map(String.init) ?? "",
                   String(format: "%.1f", s.seconds), r.hash]
            out += cells.map(Self.field).joined(separator: ",") + "\n"
        }
        return out
    }

    /// A measure as results.csv writes it (6 significant digits; `inf`, `nan`).
    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.6g", v) : "\(v)" }

    /// A setting's cell: a number, or text made safe for spreadsheets.
    static func cell(_ v: SettingValue) -> String {
        if case .text(let t) = v { return text(t) }
        return v.description
    }

    /// Text that a spreadsheet would run as a formula (`=cmd|...`, `+`, `-`, `@`, a leading tab
    /// or carriage return) gets a leading `'`, as OWASP advises; numbers are written as numbers.
    static func text(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
        return "'" + s
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func field(_ s: String) -> String {
        guard s.contains(where: { ",\"\n\r".contains($0) }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
