import DescentCore
import Foundation

/// The files of one run directory while it trains: config.json, the TensorBoard event file,
/// metrics.csv, checkpoint.dtar and summary.json. The training loop (`RunExecutor`) says what
/// happened; the recorder decides what is written where, and keeps the loop state's record of
/// the event file (`eventsBytes`, `eventsRows`) in step with the file.
final class RunRecorder {
    let dir: String
    let configHash: String
    let metricName: String
    private var config: [String: Any]
    private let eventsPath: String
    var checkpointPath: String { dir + "/" + RunCheckpoint.file }

    /// Writes config.json and opens the event file: a new start writes its header, a resumed
    /// run cuts it back to the checkpoint's length. The file is named by the run's first start.
    init(dir: String, config: [String: Any], configHash: String, metricName: String, group: String,
         state: inout RunState, resumed: Bool) throws {
        (self.dir, self.config, self.configHash, self.metricName) = (dir, config, configHash, metricName)
        eventsPath = dir + "/" + EventLog.fileName(start: state.started)
        try writeConfig(edits: state.edits)
        if resumed {
            state.eventsBytes = try EventLog.append([], to: eventsPath, at: state.eventsBytes)
        } else {
            state.eventsBytes = try EventLog.append(EventLog.fileVersion(wallTime: state.started)
                + EventLog.sessionStart(Self.hparams(config), group: group, wallTime: state.started), to: eventsPath, at: 0)
        }
    }

    /// The settings TensorBoard's HParams shows for the run. The seeds of a setting are sessions
    /// of one group (named by the setting's hash), which TensorBoard aggregates: no seed column.
    static func hparams(_ config: [String: Any]) -> [String: ResultsTable.SettingValue] {
        var h = ResultsTable.settings(config)
        if config["setting"] is String { h["seed"] = nil }
        return h
    }

    /// A new start: nothing of an earlier attempt may pass for this one's results.
    static func clearEarlierAttempt(_ dir: String) {
        let old = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("events.out.tfevents.") }
        for f in ["summary.json", "metrics.csv"] + old { try? FileManager.default.removeItem(atPath: dir + "/" + f) }
    }

    /// config.json, with the hyperparameters changed by hand so far.
    func writeConfig(edits: [LiveEdit]) throws {
        if !edits.isEmpty { config["live_edits"] = edits.map(\.json) }
        try AtomicFile.write(try RunFiles.json(config), to: dir + "/config.json")
    }

    /// Appends the rows not yet in the event file (and, at the end, the session's status).
    func flushEvents(_ state: inout RunState, ending status: RunSummary.Status? = nil) throws {
        var bytes = EventLog.rows(state.rows[state.eventsRows...], metricName: metricName, start: state.started)
        if let status { bytes += EventLog.sessionEnd(status, wallTime: state.started + (state.rows.last?.time ?? 0)) }
        // An evaluation flushes, and a checkpoint at the same step finds nothing new.
        guard !bytes.isEmpty else { return }
        state.eventsBytes = try EventLog.append(bytes, to: eventsPath, at: state.eventsBytes)
        state.eventsRows = state.rows.count
    }

    func writeMetrics(_ rows: [MetricRow]) throws {
        try AtomicFile.write(RunFiles.csv(rows, metricName: metricName), to: dir + "/metrics.csv")
    }

    /// checkpoint.dtar, after the event file caught up with the state it records.
    func checkpoint(_ state: inout RunState, model: Module, optimizer: Optimizer) throws {
        try flushEvents(&state)
        try RunCheckpoint.save(to: checkpointPath, configHash: configHash, model: model, optimizer: optimizer, state: state)
    }

    /// The run's last files: metrics.csv, the event file's end (not when interrupted: the next
    /// attempt continues it from the checkpoint's length) and summary.json.
    func finish(_ summary: RunSummary, _ state: inout RunState) throws {
        try writeMetrics(state.rows)
        if summary.status != .interrupted { try flushEvents(&state, ending: summary.status) }
        try AtomicFile.write(try RunFiles.json(summary.json), to: dir + "/summary.json")
    }

    /// The loop state of the checkpoint at `path`, with model and optimizer restored; nil when
    /// there is none. One that cannot be used (corrupt, forged, from another model) is set aside
    /// beside it and the run starts over: re-running never meets it again.
    static func restore(_ path: String, dir: String, hash: String, model: Module, optimizer: Optimizer,
                        steps: Int, samples: Int, progress: Progress) throws -> RunState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try RunCheckpoint.restore(from: path, configHash: hash, model: model, optimizer: optimizer) { state in
                try state.validate(steps: steps, samples: samples, path: path) { started in
                    try EventLog.length(of: dir + "/" + EventLog.fileName(start: started))
                }
            }
        } catch {
            let aside = try RunCheckpoint.setAside(path)
            progress.finish("\(error)\n  set aside as \(aside); training from the start")
            return nil
        }
    }
}
