import Foundation

/// `runs/<study>/settings.csv`: one row per setting (a run, or the seeds of a run declared with
/// `seeds`), with every setting column of results.csv but `seed`, and for each measure its mean,
/// sample standard deviation and Student-t 95% half-width over the seeds (`SeedStatistics`),
/// ranked like results.csv but by the means. The report and `study:go()` show the same figures.
struct SettingsTable {
    struct Setting {
        let name: String
        /// The per-seed rows of results.csv, in seed order.
        let rows: [ResultsTable.Row]
        let estimates: [String: SeedStatistics.Estimate]
        var settings: [String: ResultsTable.SettingValue] { rows[0].settings }
        var diverged: Int { rows.filter { $0.summary.status == .diverged }.count }
        /// The measure's value per seed (for paired differences).
        func bySeed(_ measure: String) -> [Int: Double] {
            var out: [Int: Double] = [:]
            for r in rows { if let seed = r.settings["seed"]?.number, let v = SettingsTable.value(measure, r.summary) { out[Int(seed)] = v } }
            return out
        }
    }

    /// The measures summarised, as named in results.csv and summary.json.
    static let measures = ["final_loss", "best_loss", "best_metric", "steps_to_threshold"]

    /// A run's measure as results.csv shows it (rounded the same way), so the statistics here
    /// are those anyone computes from results.csv.
    static func value(_ measure: String, _ s: RunSummary) -> Double? {
        let v: Double?
        switch measure {
        case "final_loss": v = s.finalLoss
        case "best_loss": v = s.bestLoss
        case "best_metric": v = s.bestMetric
        default: v = s.stepsToThreshold.map(Double.init)
        }
        return v.flatMap { Double(ResultsTable.number($0)) }
    }

    let settings: [Setting]
    let columns: [String]

    init(_ results: ResultsTable) {
        var order: [String] = [], groups: [String: [ResultsTable.Row]] = [:]
        for row in results.rows {
            let name = row.setting
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(row)
        }
        settings = order.map { name in
            let rows = groups[name]!.sorted { ($0.settings["seed"]?.number ?? 0) < ($1.settings["seed"]?.number ?? 0) }
            var estimates: [String: SeedStatistics.Estimate] = [:]
            for m in Self.measures { estimates[m] = SeedStatistics.estimate(rows.compactMap { Self.value(m, $0.summary) }) }
            return Setting(name: name, rows: rows, estimates: estimates)
        }.sorted(by: Self.ranked)
        columns = results.columns.filter { $0 != "seed" }
    }

    /// Higher mean best metric first; without one, lower mean final loss first; then by name.
    static func ranked(_ a: Setting, _ b: Setting) -> Bool {
        for (m, higher) in [("best_metric", true), ("final_loss", false)] {
            switch (a.estimates[m]?.mean, b.estimates[m]?.mean) {
            case let (x?, y?) where x != y && !(x.isNaN || y.isNaN): return higher ? x > y : x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: continue
            }
        }
        return a.name < b.name
    }

    /// Whether any setting has more than one seed (the report then shows settings).
    var seeded: Bool { settings.contains { $0.rows.count > 1 } }

    /// The measure that ranks: the best metric where the runs have one, else the final loss.
    var rankingMeasure: String { settings.contains { $0.estimates["best_metric"]?.mean != nil } ? "best_metric" : "final_loss" }

    /// The best two settings' paired difference in the ranking measure, in words.
    var separation: String? {
        guard settings.count >= 2, seeded else { return nil }
        let (a, b) = (settings[0], settings[1]), m = rankingMeasure
        guard let (d, separable) = SeedStatistics.pairedDifference(a.bySeed(m), b.bySeed(m)) else {
            return "\(a.name) and \(b.name) share fewer than two seeds with a \(m): their difference has no interval."
        }
        if d.mean == 0, d.std == 0 { return "\(a.name) and \(b.name) tie on \(m) on every one of their \(d.count) seeds." }
        let figure = String(format: "%.4g ± %.2g (95%% interval, %d paired seeds)", d.mean!, d.ci95!, d.count)
        return separable
            ? "\(a.name) beats \(b.name) on \(m): the paired difference is \(figure), which excludes 0."
            : "\(a.name) and \(b.name) are not separable on \(m): the paired difference is \(figure), which contains 0; more seeds would tell."
    }

    var csv: String {
        var header = ["setting", "seeds", "diverged"] + columns.map(ResultsTable.text)
        for m in Self.measures { header += [m + "_mean", m + "_std", m + "_ci95"] }
        var out = header.map(ResultsTable.field).joined(separator: ",") + "\n"
        func n(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.9g", $0) : "\($0)" } ?? "" }
        for s in settings {
            var cells = [ResultsTable.text(s.name), String(s.rows.count), String(s.diverged)]
            cells += columns.map { c in s.settings[c].map(ResultsTable.cell) ?? "" }
            for m in Self.measures {
                let e = s.estimates[m]!
                cells += [n(e.mean), n(e.std), n(e.ci95)]
            }
            out += cells.map(ResultsTable.field).joined(separator: ",") + "\n"
        }
        return out
    }
}
