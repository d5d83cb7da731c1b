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

    /// What a chart line or sweep point stands for: a run, or (with seeds) a setting's mean.
    struct Unit {
        let name: String
        let settings: [String: ResultsTable.SettingValue]
        let given: Set<String>
        let metric: Double?, finalLoss: Double?
        /// A diverged run, or a setting whose every seed diverged: plots keep it off their axes.
        var diverged = false
        /// Half-widths of the 95% intervals (settings with seeds).
        var metricError: Double? = nil, finalLossError: Double? = nil
    }

    static func data(_ table: ResultsTable, _ settings: SettingsTable) -> [String: Any] {
        var runs: [[String: Any]] = []
        let units: [Unit]
        if settings.seeded {
            for (i, setting) in settings.settings.enumerated() {
                var run = SettingCurves.entry(setting)
                (run["name"], run["color"], run["dash"]) = (setting.name, color(i), dash(i))
                run["diverged"] = setting.diverged == setting.rows.count
                runs.append(run)
            }
            units = settings.settings.map { s in
                let m = s.estimates["best_metric"]!, f = s.estimates["final_loss"]!
                return Unit(name: s.name, settings: s.settings, given: s.rows[0].given, metric: m.mean, finalLoss: f.mean,
                            diverged: s.diverged == s.rows.count, metricError: m.ci95, finalLossError: f.ci95)
            }
        } else {
            var seen: [[Double]: String] = [:]
            for (i, row) in table.rows.enumerated() {
                let rows = row.run.rows
                let losses = rows.map(\.loss)
                var run: [String: Any] = [
                    "name": row.run.name, "color": color(i), "dash": dash(i),
                    "steps": rows.map(\.step), "loss": losses.map { json($0) }, "smooth": Report.smooth(losses).map { json($0) },
                    "lr": rows.map { json($0.lr) }, "diverged": row.summary.status == .diverged,
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
            units = table.rows.map { Unit(name: $0.run.name, settings: $0.settings, given: $0.given, metric: $0.summary.bestMetric,
                                          finalLoss: $0.summary.finalLoss, diverged: $0.summary.status == .diverged) }
        }
        var sweeps: [[String: Any]] = []
        let shownVaried = varied(table, settings)
        for key in shownVaried {
            let rows = units.filter { $0.given.contains(key) && $0.settings[key] != nil }
            guard rows.count >= 2 else { continue }
            let values = rows.map { $0.settings[key]! }
            // A seed names a draw, not a quantity: its axis has categories.
            let numbers = key == "seed" ? [] : values.compactMap(\.number)
            let numeric = numbers.count == values.count
            var sweep: [String: Any] = ["key": key]
            var categories: [String] = []
            if numeric {
                sweep["log"] = logAxis(key, numbers)
            } else {
                for v in values where !categories.contains(v.description) { categories.append(v.description) }
                sweep["categories"] = categories
            }
            // One line per combination of the other varied settings.
            let others = shownVaried.filter { $0 != key }
            var order: [String] = [], members: [String: [Int]] = [:]
            for (i, u) in rows.enumerated() {
                let name = others.compactMap { k in u.settings[k].map { "\(k)=\($0)" } }.joined(separator: ", ")
                if members[name] == nil { order.append(name) }
                members[name, default: []].append(i)
            }
            sweep["groups"] = order.map { name -> [String: Any] in
                var idx = members[name]!
                if numeric { idx.sort { numbers[$0] < numbers[$1] } }
                var g: [String: Any] = ["name": name, "runs": idx.map { rows[$0].name }, "diverged": idx.map { rows[$0].diverged },
                                        "x": idx.map { numeric ? numbers[$0] as Any : categories.firstIndex(of: values[$0].description)! as Any },
                                        "metric": idx.map { json(rows[$0].metric) }, "final_loss": idx.map { json(rows[$0].finalLoss) }]
                if settings.seeded {
                    g["metric_err"] = idx.map { json(rows[$0].metricError) }
                    g["final_loss_err"] = idx.map { json(rows[$0].finalLossError) }
                }
                return g
            }
            sweeps.append(sweep)
        }
        return ["metric": table.metricName, "runs": runs, "sweeps": sweeps, "seeded": settings.seeded]
    }

    /// The varied settings the report shows: with seeds, those that tell settings apart.
    static func varied(_ table: ResultsTable, _ settings: SettingsTable) -> [String] {
        settings.seeded ? table.varied.filter { $0 != "seed" } : table.varied
    }

    /// The settings ranked by their means, with the 95% intervals, and whether the best two
    /// are separable: shown above the runs when a study has seeds.
    static func settingsSection(_ settings: SettingsTable, varied: [String], metricName: String) -> String {
        guard settings.seeded else { return "" }
        let e = Report.escape
        func cell(_ est: SeedStatistics.Estimate?) -> String {
            guard let est, let mean = est.mean else { return "<td>-</td>" }
            return "<td>\(Report.fmt(mean))" + (est.ci95.map { " <small>± \(Report.fmt($0))</small>" } ?? "") + "</td>"
        }
        var rows = ""
        for (i, s) in settings.settings.enumerated() {
            rows += "<tr><td>\(i + 1)</td><td class=\"run\"><i style=\"background:\(color(i))\"></i>\(e(s.name))</td><td>\(s.rows.count)</td>"
            rows += varied.map { "<td>\(e(s.settings[$0]?.description ?? "-"))</td>" }.joined()
            rows += cell(s.estimates["best_metric"]) + cell(s.estimates["final_loss"]) + cell(s.estimates["best_loss"])
            rows += cell(s.estimates["steps_to_threshold"]) + "<td>\(s.diverged)</td></tr>\n"
        }
        let header = ["rank", "setting", "seeds"] + varied + ["best \(metricName)", "final loss", "best loss", "steps to threshold", "diverged seeds"]
        return """
            <h2>Settings: mean <small>± 95% interval (Student t) over seeds</small></h2>
            <p class="verdict">\(e(settings.separation ?? ""))</p>
            <div class="scroll"><table class="settings">
            <thead><tr>\(header.map { "<th>\(e($0))</th>" }.joined())</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table></div>
            <p>Every setting trains once per seed, with the same seeds: a seed draws the initial weights, the order of the batches and the augmentation (and, for synthetic datasets, the images). Curves show each setting's mean with a band from its lowest to its highest seed; settings.csv holds the standard deviations. Each run is below.</p>
            <h2>Runs</h2>

            """
    }

    static func html(_ table: ResultsTable, _ settings: SettingsTable, title: String) throws -> String {
        let e = Report.escape
        let varied = table.varied
        var rows = ""
        // With seeds the charts draw settings: a run takes its setting's colour.
        let settingIndex = Dictionary(uniqueKeysWithValues: settings.settings.enumerated().map { ($1.name, $0) })
        for (i, r) in table.rows.enumerated() {
            let s = r.summary
            let c = color(settings.seeded ? settingIndex[r.setting] ?? i : i)
            rows += "<tr class=\"\(s.status.rawValue)\"><td>\(i + 1)</td><td class=\"run\"><i style=\"background:\(c)\"></i>\(e(r.run.name))</td><td>\(s.status.rawValue)</td>"
            rows += varied.map { "<td>\(e(r.settings[$0]?.description ?? "-"))</td>" }.joined()
            rows += "<td>\(Report.fmt(s.finalLoss))</td><td>\(Report.fmt(s.bestLoss))</td><td>\(Report.fmt(s.bestMetric))</td>"
            let perClass = s.finalPerClass.map { ap in ap.keys.sorted().map { "\(e($0)) \(Report.fmt(ap[$0]))" }.joined(separator: ", ") }
            rows += "<td class=\"ap\">\(perClass ?? "-")</td><td>\(s.stepsToThreshold.map(String.init) ?? "-")</td>"
            rows += "<td class=\"time\">\(s.status == .incomplete ? "-" : String(format: "%.1f s", s.seconds))</td><td>\(e(s.error ?? ""))</td></tr>\n"
        }
        let header = ["rank", "run", "status"] + varied + ["final loss", "best loss", "best \(table.metricName)", "AP per class", "steps to threshold", "time", "error"]
        let definitions = definitions.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined()
            + (varied.isEmpty ? "" : "<dt>\(varied.map(e).joined(separator: ", "))</dt><dd>the settings that differ between runs (all of them are in results.csv and each run's config.json)</dd>")
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: data(table, settings), options: [.sortedKeys]), as: UTF8.self)
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
            \(settingsSection(settings, varied: Self.varied(table, settings), metricName: table.metricName))<div class="scroll"><table>
            <thead><tr>\(header.map { "<th>\(e($0))</th>" }.joined())</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table></div>
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
