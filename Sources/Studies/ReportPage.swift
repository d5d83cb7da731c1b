import DescentHost
import DescentCore
import Foundation

/// `report.html`: one offline file. The runs ranked by the study's metric with the settings
/// the study varied and every column defined; a plot of the metric and of the final loss
/// against each varied setting (log axis for learning rates); training loss, validation loss,
/// validation metric and learning rate against steps, with hover read-outs and zoom
/// (`Web/report.js`, drawing from the JSON embedded in the page).
enum ReportPage {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let dashes = ["", "7 3", "2 3", "9 3 2 3"]

    /// Run i's colour and dash pattern: 40 runs before a pair repeats, so overlapping curves stay apart.
    static func color(_ i: Int) -> String { palette[i % palette.count] }
    static func dash(_ i: Int) -> String { dashes[(i / palette.count + i) % dashes.count] }

    static let definitions: [(String, String)] = [
        ("rank", "order by best metric (higher first), then by final loss (lower first)"),
        ("status", "ok; diverged (the loss became NaN or Inf; a result, not an error); failed (an error stopped the run, see error); interrupted (stopped by a signal; running the study again resumes it); incomplete (no summary: not started yet, or its process was killed)"),
        ("final loss", "mean training loss of the last 10 steps"),
        ("best loss", "lowest training loss of any single step"),
        ("best metric", "highest validation metric of any evaluation (accuracy for classifiers; mAP@0.5, VOC all-point, for the detector)"),
        ("AP per class", "the detector's average precision per class at the last evaluation"),
        ("steps to threshold", "first step at which the smoothed training loss (EMA 0.9) is at or below the study's threshold"),
        ("time", "training seconds, summed over resumed attempts"),
    ]

    /// Whether a varied setting is best read on a log axis: learning rates, and positive values
    /// spanning two decades or more.
    static func logAxis(_ key: String, _ values: [Double]) -> Bool {
        guard let lo = values.min(), let hi = values.max(), lo > 0 else { return false }
        return key == "lr" || key.hasSuffix(".lr") || key.contains("learning_rate") || key.hasSuffix("peak_value") || key.hasSuffix("base") || hi / lo >= 100
    }

    static func json(_ v: Double?) -> Any { v.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }

    static func data(_ table: ResultsTable) -> [String: Any] {
        var runs: [[String: Any]] = []
        var seen: [[Double]: String] = [:]
        for (i, row) in table.rows.enumerated() {
            let rows = row.run.rows
            let losses = rows.map(\.loss)
            var run: [String: Any] = [
                "name": row.run.name, "color": color(i), "dash": dash(i),
                "steps": rows.map(\.step), "loss": losses.map { json($0) }, "smooth": Report.smooth(losses).map { json($0) },
                "lr": rows.map { json($0.lr) },
            ]
            let evaluated = rows.filter { $0.metric != nil || $0.valLoss != nil }
            run["eval_steps"] = evaluated.map(\.step)
            run["metric"] = evaluated.map { json($0.metric) }
            run["val_loss"] = evaluated.map { json($0.valLoss) }
            // Identical curves (a run repeated under another name) would hide one another: say so.
            let key = losses + rows.map(\.lr)
            if !rows.isEmpty, let first = seen[key] { run["same"] = first } else { seen[key] = row.run.name }
            runs.append(run)
        }
        var sweeps: [[String: Any]] = []
        for key in table.varied {
            let rows = table.rows.filter { $0.given.contains(key) && $0.settings[key] != nil }
            guard rows.count >= 2 else { continue }
            let values = rows.map { $0.settings[key]! }
            var sweep: [String: Any] = ["key": key, "metric": rows.map { json($0.summary.bestMetric) }, "final_loss": rows.map { json($0.summary.finalLoss) }]
            let numbers = values.compactMap(\.number)
            if numbers.count == values.count {
                let order = numbers.indices.sorted { numbers[$0] < numbers[$1] }
                sweep["x"] = order.map { numbers[$0] }
                sweep["runs"] = order.map { rows[$0].run.name }
                sweep["metric"] = order.map { json(rows[$0].summary.bestMetric) }
                sweep["final_loss"] = order.map { json(rows[$0].summary.finalLoss) }
                sweep["log"] = logAxis(key, numbers)
            } else {
                var categories: [String] = []
                for v in values where !categories.contains(v.description) { categories.append(v.description) }
                sweep["categories"] = categories
                sweep["x"] = values.map { categories.firstIndex(of: $0.description)! }
                sweep["runs"] = rows.map(\.run.name)
            }
            sweeps.append(sweep)
        }
        return ["metric": table.metricName, "runs": runs, "sweeps": sweeps]
    }

    static func html(_ table: ResultsTable, title: String) throws -> String {
        let e = Report.escape
        let varied = table.varied
        var rows = ""
        for (i, r) in table.rows.enumerated() {
            let s = r.summary
            rows += "<tr class=\"\(s.status.rawValue)\"><td>\(i + 1)</td><td class=\"run\"><i style=\"background:\(color(i))\"></i>\(e(r.run.name))</td><td>\(s.status.rawValue)</td>"
            rows += varied.map { "<td>\(e(r.settings[$0]?.description ?? "-"))</td>" }.joined()
            rows += "<td>\(Report.fmt(s.finalLoss))</td><td>\(Report.fmt(s.bestLoss))</td><td>\(Report.fmt(s.bestMetric))</td>"
            let perClass = s.finalPerClass.map { ap in ap.keys.sorted().map { "\(e($0)) \(Report.fmt(ap[$0]))" }.joined(separator: ", ") }
            rows += "<td class=\"ap\">\(perClass ?? "-")</td><td>\(s.stepsToThreshold.map(String.init) ?? "-")</td>"
            rows += "<td>\(s.status == .incomplete ? "-" : String(format: "%.1f s", s.seconds))</td><td>\(e(s.error ?? ""))</td></tr>\n"
        }
        let header = ["rank", "run", "status"] + varied + ["final loss", "best loss", "best \(table.metricName)", "AP per class", "steps to threshold", "time", "error"]
        let definitions = definitions.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined()
            + (varied.isEmpty ? "" : "<dt>\(varied.map(e).joined(separator: ", "))</dt><dd>the settings that differ between runs (all of them are in results.csv and each run's config.json)</dd>")
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: data(table), options: [.sortedKeys]), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")   // no </script> or <!-- in the data
        let script = try EmbeddedLua.source("report.js", in: embeddedLua)
        let style = try EmbeddedLua.source("report.css", in: embeddedLua)
        let count = table.rows.count
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(e(title)) — Descent report</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <h1>\(e(title))</h1>
            <p>\(count) run\(count == 1 ? "" : "s"), ranked by best \(e(table.metricName)). Every run starts from the same initial weights and sees the same batches unless the study varies them. Hover a chart for values; drag across it to zoom, double-click to zoom out; click a run below to hide or show it.</p>
            <noscript><p class="warn">The charts need JavaScript; results.csv and each run's metrics.csv hold the numbers.</p></noscript>
            <table>
            <thead><tr>\(header.map { "<th>\(e($0))</th>" }.joined())</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            <dl class="defs">\(definitions)</dl>
            <div id="legend" class="legend"></div>
            <h2>Against the varied settings</h2>
            <div id="sweeps" class="charts"></div>
            <h2>Curves</h2>
            <label><input type="checkbox" id="log-loss"> log-scale training loss</label>
            <div id="loss" class="charts"></div>
            <div id="curves" class="charts"></div>
            <script id="report-data" type="application/json">\(payload)</script>
            <script>
            \(script)
            </script>
            </body>
            </html>

            """
    }
}
