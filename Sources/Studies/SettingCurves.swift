import Foundation

/// The report's curves of a setting with several seeds: at each step, the mean over the seeds
/// that reached it, and a band from the lowest to the highest seed (of the smoothed loss, and
/// of the evaluations).
enum SettingCurves {
    /// The chart entry of `setting` (as `ReportPage.data` makes one per run), with `*_lo`/`*_hi` bands.
    static func entry(_ setting: SettingsTable.Setting) -> [String: Any] {
        let runs = setting.rows.map(\.run.rows)
        let train = aggregate(runs.map { rows in rows.map { ($0.step, $0.loss) } })
        let smooth = aggregate(runs.map { rows in zip(rows.map(\.step), Report.smooth(rows.map(\.loss))).map { ($0, $1) } })
        let lr = aggregate(runs.map { rows in rows.map { ($0.step, $0.lr) } })
        let evaluated = runs.map { $0.filter { $0.metric != nil || $0.valLoss != nil } }
        let metric = aggregate(evaluated.map { rows in rows.map { ($0.step, $0.metric ?? .nan) } })
        let valLoss = aggregate(evaluated.map { rows in rows.map { ($0.step, $0.valLoss ?? .nan) } })
        let j = ReportPage.json
        return [
            "steps": train.steps, "loss": train.mean.map(j), "smooth": smooth.mean.map(j),
            "smooth_lo": smooth.lo.map(j), "smooth_hi": smooth.hi.map(j), "lr": lr.mean.map(j),
            "eval_steps": metric.steps, "metric": metric.mean.map(j), "metric_lo": metric.lo.map(j), "metric_hi": metric.hi.map(j),
            "val_loss": valLoss.mean.map(j), "val_loss_lo": valLoss.lo.map(j), "val_loss_hi": valLoss.hi.map(j),
        ]
    }

    /// Per step (the union of the seeds' steps, in order): mean, minimum and maximum of the
    /// finite values the seeds have there (NaN where none has one).
    static func aggregate(_ seeds: [[(Int, Double)]]) -> (steps: [Int], mean: [Double], lo: [Double], hi: [Double]) {
        var byStep: [Int: [Double]] = [:]
        for seed in seeds { for (step, v) in seed { byStep[step, default: []].append(v) } }
        let steps = byStep.keys.sorted()
        var mean: [Double] = [], lo: [Double] = [], hi: [Double] = []
        for s in steps {
            let v = byStep[s]!.filter(\.isFinite)
            mean.append(v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count))
            lo.append(v.min() ?? .nan)
            hi.append(v.max() ?? .nan)
        }
        return (steps, mean, lo, hi)
    }
}
