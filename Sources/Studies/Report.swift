import DescentPlugins
import DescentCore
import Foundation

/// `report.html` of an experiment directory, rebuilt from whatever run directories exist
/// (`descent report DIR` calls it too): self-contained, offline, SVG charts of the loss (raw and
/// smoothed; linear or log scale), the learning rate and the evaluation metric, and a results table.
public enum Report {
    struct Run {
        let name: String
        let summary: RunSummary?
        let metricName: String
        let rows: [MetricRow]
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
                return hash == nil ? nil : Run(name: name, summary: nil, metricName: "", rows: [])
            }
            var s = fm.fileExists(atPath: summary) ? try RunFiles.readSummary(summary) : nil
            if let hash {
                // A worker that died early leaves only the summary its parent wrote.
                guard RunDirectory.storedHash(d) == hash || s?.configHash == hash else { return nil }
                if s?.configHash != hash { s = nil }
            }
            let m = fm.fileExists(atPath: metrics) ? try RunFiles.readMetrics(metrics) : (metricName: "", rows: [])
            return Run(name: name, summary: s, metricName: s?.metricName ?? m.metricName, rows: m.rows)
        }
    }

    /// Writes `<dir>/report.html`; returns its path and the runs' summaries.
    @discardableResult
    public static func write(experimentDirectory dir: String, title: String? = nil) throws -> (path: String, summaries: [RunSummary]) {
        let runs = try runs(in: dir)
        try AtomicFile.write(ResultsTable(runs, directory: dir).csv, to: dir + "/results.csv")
        let path = dir + "/report.html"
        try AtomicFile.write(html(runs, title: title ?? URL(fileURLWithPath: dir).lastPathComponent), to: path)
        try AtomicFile.write(standaloneLoss(runs), to: dir + "/loss.svg")
        return (path, runs.map { $0.summary ?? RunSummary(name: $0.name, status: .incomplete, steps: $0.rows.count, metricName: $0.metricName) })
    }

    /// The results table as plain text (printed at the end of a study).
    public static func table(_ summaries: [RunSummary]) -> String {
        let header = ["run", "status", "final loss", "best loss", "best metric", "steps to thr.", "time"]
        let rows = summaries.map { s in
            [s.name, s.status.rawValue, fmt(s.finalLoss), fmt(s.bestLoss),
             s.bestMetric.map { "\(s.metricName) \(fmt($0))" } ?? "-", s.stepsToThreshold.map(String.init) ?? "-", String(format: "%.1f s", s.seconds)]
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        return ([header] + rows).map { r in r.indices.map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
            .joined(separator: "\n")
    }

    static func fmt(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
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

    struct Series {
        let name: String
        let color: String
        let points: [(Double, Double)]
        var opacity = 1.0
        var width = 1.6
    }

    /// One SVG line chart; `log` plots log10 of y (non-positive values dropped).
    static func chart(_ series: [Series], title: String, yLabel: String, log: Bool = false, legend: [(String, String)] = [],
                      standalone: Bool = false) -> String {
        let (w, h, l, r, t, b) = (640.0, 300.0, 60.0, 16.0, 28.0, 36.0)
        func y(_ v: Double) -> Double? { log ? (v > 0 ? Foundation.log10(v) : nil) : (v.isFinite ? v : nil) }
        let pts = series.flatMap { $0.points.compactMap { p in y(p.1).map { (p.0, $0) } } }
        guard let x0 = pts.map(\.0).min(), let x1 = pts.map(\.0).max(), var y0 = pts.map(\.1).min(), var y1 = pts.map(\.1).max() else {
            return "<p class=\"empty\">\(escape(title)): no data</p>"
        }
        if y0 == y1 { y0 -= 0.5; y1 += 0.5 }
        let xs = x1 > x0 ? x1 - x0 : 1
        func px(_ x: Double) -> Double { l + (x - x0) / xs * (w - l - r) }
        func py(_ v: Double) -> Double { h - b - (v - y0) / (y1 - y0) * (h - t - b) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" class=\"chart\" role=\"img\" aria-label=\"\(escape(title))\">"
        if standalone {
            svg = svg.replacingOccurrences(of: "class=\"chart\"", with: "width=\"\(Int(w))\" height=\"\(Int(h))\"")
            svg += "<style>.grid{stroke:#eee}.tick{font:11px sans-serif;fill:#555}.title{font:600 13px sans-serif}</style><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        }
        svg += "<text x=\"\(Int(l))\" y=\"18\" class=\"title\">\(escape(title))</text>"
        for k in 0...4 {
            let v = y0 + (y1 - y0) * Double(k) / 4, yy = py(v)
            let label = log ? String(format: "%.3g", Foundation.pow(10, v)) : String(format: "%.3g", v)
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", l, w - r, yy, yy)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%@</text>", l - 4, yy + 4, label)
        }
        for k in 0...4 {
            let v = x0 + xs * Double(k) / 4
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%d</text>", px(v), h - b + 16, Int(v.rounded()))
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">step</text>", (l + w - r) / 2, h - 4)
        svg += "<text x=\"12\" y=\"\(Int(h / 2))\" class=\"tick\" transform=\"rotate(-90 12 \(Int(h / 2)))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        for s in series {
            let d = s.points.compactMap { p in y(p.1).map { String(format: "%.1f,%.1f", px(p.0), py($0)) } }
            guard !d.isEmpty else { continue }
            svg += "<polyline class=\"series\" data-run=\"\(escape(s.name))\" fill=\"none\" stroke=\"\(s.color)\" stroke-opacity=\"\(s.opacity)\" stroke-width=\"\(s.width)\" points=\"\(d.joined(separator: " "))\"/>"
        }
        for (k, (name, color)) in legend.enumerated() {
            let ly = t + 8 + Double(k) * 15
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/>", w - r - 150, ly, color)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%@</text>", w - r - 135, ly + 9, escape(name))
        }
        return svg + "</svg>"
    }

    /// The smoothed loss chart (log scale, with a legend) as a standalone SVG file, for papers
    /// and slides: `loss.svg` beside report.html.
    static func standaloneLoss(_ runs: [Run]) -> String {
        let colored = runs.enumerated().map { (run: $1, color: palette[$0 % palette.count]) }
        let series = colored.map { Series(name: $0.run.name, color: $0.color, points: Array(zip($0.run.rows.map { Double($0.step) }, smooth($0.run.rows.map(\.loss))))) }
        return chart(series, title: "Training loss (smoothed, log scale)", yLabel: "loss", log: true,
                     legend: colored.map { ($0.run.name, $0.color) }, standalone: true)
    }

    static func html(_ runs: [Run], title: String) -> String {
        let colored = runs.enumerated().map { (run: $1, color: palette[$0 % palette.count]) }
        func lossSeries(log: Bool) -> String {
            var series: [Series] = []
            for (run, color) in colored {
                let steps = run.rows.map { Double($0.step) }, losses = run.rows.map(\.loss)
                series.append(Series(name: run.name + " (raw)", color: color, points: Array(zip(steps, losses)), opacity: 0.25, width: 1))
                series.append(Series(name: run.name, color: color, points: Array(zip(steps, smooth(losses)))))
            }
            return chart(series, title: "Training loss (raw, faint; smoothed, EMA 0.9)\(log ? ", log scale" : "")", yLabel: "loss", log: log)
        }
        let lr = chart(colored.map { Series(name: $0.run.name, color: $0.color, points: $0.run.rows.map { (Double($0.step), $0.lr) }) },
                       title: "Learning rate", yLabel: "lr")
        let metricName = runs.first { !$0.metricName.isEmpty }?.metricName ?? "metric"
        let metric = chart(colored.map { Series(name: $0.run.name, color: $0.color, points: $0.run.rows.compactMap { r in r.metric.map { (Double(r.step), $0) } }) },
                           title: "Validation \(metricName)", yLabel: metricName)
        let legend = colored.map { "<span class=\"key\"><i style=\"background:\($0.color)\"></i>\(escape($0.run.name))</span>" }.joined()
        var rows = ""
        for (run, color) in colored {
            let s = run.summary
            let status = s?.status.rawValue ?? "incomplete"
            let metricText = s?.bestMetric.map { fmt($0) } ?? "-"
            rows += "<tr class=\"\(status)\"><td><i style=\"background:\(color)\"></i>\(escape(run.name))</td><td>\(status)</td>"
            rows += "<td>\(fmt(s?.finalLoss))</td><td>\(fmt(s?.bestLoss))</td><td>\(metricText)</td>"
            let perClass = s?.finalPerClass.map { ap in ap.keys.sorted().map { "\(escape($0)) \(fmt(ap[$0]))" }.joined(separator: ", ") }
            rows += "<td>\(perClass ?? "-")</td>"
            rows += "<td>\(s?.stepsToThreshold.map(String.init) ?? "-")</td><td>\(s.map { String(format: "%.1f s", $0.seconds) } ?? "-")</td>"
            rows += "<td>\(escape(s?.error ?? ""))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(title)) — Descent report</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1340px; color: #222; }
            h1 { font-size: 20px; } .charts { display: flex; flex-wrap: wrap; gap: 12px; }
            .chart { width: 640px; height: 300px; background: #fff; border: 1px solid #ddd; }
            .chart .grid { stroke: #eee; } .chart .tick { font-size: 11px; fill: #555; } .chart .title { font-size: 13px; font-weight: 600; }
            table { border-collapse: collapse; margin-top: 16px; } td, th { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
            i { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
            .key { margin-right: 14px; } tr.diverged td, tr.failed td { color: #b00; }
            #log:checked ~ .charts .linear, #log:not(:checked) ~ .charts .logscale { display: none; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p>\(runs.count) run\(runs.count == 1 ? "" : "s"). Every run starts from the same initial weights and sees the same batches unless the study varies them.</p>
            <div class="legend">\(legend)</div>
            <input type="checkbox" id="log"><label for="log"> log-scale loss</label>
            <div class="charts">
            <div class="linear">\(lossSeries(log: false))</div>
            <div class="logscale">\(lossSeries(log: true))</div>
            <div>\(metric)</div>
            <div>\(lr)</div>
            </div>
            <table>
            <thead><tr><th>run</th><th>status</th><th>final loss</th><th>best loss</th><th>best \(escape(metricName))</th><th>final AP per class</th><th>steps to threshold</th><th>time</th><th>error</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </body>
            </html>

            """
    }
}
