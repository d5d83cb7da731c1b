import DescentPlugins
import DescentCore
import Foundation

/// The files of an experiment directory rebuilt from its runs (`descent report DIR` calls it
/// too): `results.csv` (`ResultsTable`), `settings.csv` (`SettingsTable`), `report.html` (`ReportPage`: one offline file with
/// interactive charts) and `loss.svg` (`ReportSVG`, for papers and slides).
public enum Report {
    struct Run {
        let name: String
        let summary: RunSummary?
        let metricName: String
        let rows: [MetricRow]
        /// Its config.json (empty for a run not started).
        let config: [String: Any]
    }

    /// The file listing a study's runs and their configuration hashes (`StudyRunner`).
    static let studyFile = "study.json"

    /// The runs of the study in `dir`: those its study.json lists, in that order, each only with
    /// files of the listed configuration (a summary of another is left out, not shown as
    /// current); without a study.json, every `<dir>/<run>/` holding metrics.csv or summary.json.
    static func runs(in dir: String) throws -> [Run] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else { throw DescentError.file(dir, "no such directory") }
        var listed: [(name: String, hash: String?)] = names.sorted().filter { !$0.hasPrefix(".") }.map { ($0, nil) }
        if fm.fileExists(atPath: dir + "/" + studyFile) {
            let path = dir + "/" + studyFile
            guard let d = try JSONSerialization.jsonObject(with: try AtomicFile.read(path)) as? [String: Any],
                  let runs = d["runs"] as? [[String: String]] else { throw DescentError.file(path, "a JSON object with a 'runs' list expected") }
            listed = try runs.map { r in
                guard let name = r["run"], StudyRunner.isRunName(name), let hash = r["config_hash"] else { throw DescentError.file(path, "a run without a valid name or hash") }
                return (name, hash)
            }
        }
        return try listed.compactMap { name, hash in
            let d = dir + "/" + name
            let metrics = d + "/metrics.csv", summary = d + "/summary.json"
            guard fm.fileExists(atPath: metrics) || fm.fileExists(atPath: summary) else {
                // A run of the study that has not started is listed, without results.
                return hash == nil ? nil : Run(name: name, summary: nil, metricName: "", rows: [], config: [:])
            }
            var s = fm.fileExists(atPath: summary) ? try RunFiles.readSummary(summary) : nil
            let config = RunDirectory.config(d)
            if let hash {
                // A worker that died early leaves only the summary its parent wrote.
                guard config["config_hash"] as? String == hash || s?.configHash == hash else { return nil }
                if s?.configHash != hash { s = nil }
            }
            let m = fm.fileExists(atPath: metrics) ? try RunFiles.readMetrics(metrics) : (metricName: "", rows: [])
            return Run(name: name, summary: s, metricName: s?.metricName ?? m.metricName, rows: m.rows, config: config)
        }
    }

    /// Writes `<dir>/report.html`; returns its path and the runs' summaries.
    @discardableResult
    public static func write(experimentDirectory dir: String, title: String? = nil) throws -> (path: String, summaries: [RunSummary]) {
        let runs = try runs(in: dir)
        let path = dir + "/report.html"
        let table = ResultsTable(runs), settings = SettingsTable(table)
        try AtomicFile.write(try ReportPage.html(table, settings, title: title ?? URL(fileURLWithPath: dir).lastPathComponent), to: path)
        try AtomicFile.write(ReportSVG.loss(table.rows.map(\.run)), to: dir + "/loss.svg")
        try AtomicFile.write(table.csv, to: dir + "/results.csv")
        try AtomicFile.write(settings.csv, to: dir + "/settings.csv")
        return (path, table.rows.map(\.summary))
    }

    /// The runs' summaries in the report's order, read from `dir` without writing anything
    /// (the study runner wrote the report; the command line only prints the table).
    public static func summaries(experimentDirectory dir: String) throws -> (path: String, summaries: [RunSummary]) {
        (dir + "/report.html", ResultsTable(try runs(in: dir)).rows.map(\.summary))
    }

    /// With seeds, the settings ranked by their means (± the 95% half-width) and whether the
    /// best two are separable, as plain text; nil for a study without seeds.
    public static func settingsText(experimentDirectory dir: String) -> String? {
        guard let runs = try? runs(in: dir) else { return nil }
        let table = SettingsTable(ResultsTable(runs))
        guard table.seeded else { return nil }
        func cell(_ e: SeedStatistics.Estimate?) -> String {
            guard let e, let mean = e.mean else { return "-" }
            return fmt(mean) + (e.ci95.map { " ± " + fmt($0) } ?? "")
        }
        let header = ["setting", "seeds", "final loss", "best metric", "steps to thr."]
        let rows = table.settings.map { s in
            [s.name, String(s.rows.count), cell(s.estimates["final_loss"]), cell(s.estimates["best_metric"]), cell(s.estimates["steps_to_threshold"])]
        }
        return aligned([header] + rows) + (table.separation.map { "\n" + $0 } ?? "")
    }

    static func aligned(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        return rows.map { r in r.indices.map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
            .joined(separator: "\n")
    }

    /// The results table as plain text (printed at the end of a study).
    public static func table(_ summaries: [RunSummary]) -> String {
        let header = ["run", "status", "final loss", "best loss", "best metric", "steps to thr.", "time"]
        let rows = summaries.map { s in
            [s.name, s.status.rawValue, fmt(s.finalLoss), fmt(s.bestLoss),
             s.bestMetric.map { "\(s.metricName) \(fmt($0))" } ?? "-", s.stepsToThreshold.map(String.init) ?? "-", String(format: "%.1f s", s.seconds)]
        }
        return aligned([header] + rows)
    }

    static func fmt(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// Exponential moving average (TensorBoard's smoothing, 0.9), skipping non-finite values.
    static func smooth(_ xs: [Double], _ w: Double = 0.9) -> [Double] {
        var out: [Double] = [], last: Double? = nil
        for x in xs {
            if x.isFinite { last = last.map { w * $0 + (1 - w) * x } ?? x }
            out.append(last ?? .nan)
        }
        return out
    }
}
