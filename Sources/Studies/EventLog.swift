import DescentCore
import Foundation

/// A run's TensorBoard event file, `events.out.tfevents.<start>.descent`: TFRecord-framed
/// `Event` protobufs (tensorflow/core/util/event.proto). Scalars `loss`, `lr`, the eval metric
/// (`accuracy`, `mAP@0.5`) and `val_loss` at metrics.csv's steps, and the run's hyperparameters
/// for TensorBoard's hparams plugin (a session-start record; a session-end one with the status).
/// The file is only appended to; a checkpoint records its length, and a resumed run cuts it
/// back there, so it never holds a step twice.
enum EventLog {
    static func fileName(start: Double) -> String { "events.out.tfevents.\(Int(start)).descent" }

    /// `Event{wall_time = 1, step = 2, file_version = 3 | summary = 5}`.
    static func event(wallTime: Double, step: Int, _ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var e = ProtobufWriter()
        e.double(1, wallTime)
        if step != 0 { e.int64(2, Int64(step)) }   // proto3 leaves defaults out
        body(&e)
        return TFRecord.frame(e.bytes)
    }

    static func fileVersion(wallTime: Double) -> [UInt8] {
        event(wallTime: wallTime, step: 0) { $0.string(3, "brain.Event:2") }
    }

    /// `Summary{value = [Value{tag = 1, simple_value = 2}]}` for each finite value.
    static func scalars(step: Int, wallTime: Double, _ values: [(String, Double)]) -> [UInt8] {
        event(wallTime: wallTime, step: step) { e in
            e.message(5) { s in
                for (tag, v) in values where v.isFinite {
                    s.message(1) { value in
                        value.string(1, tag)
                        value.float(2, Float(v))
                    }
                }
            }
        }
    }

    /// A summary value carrying only plugin data: how the hparams plugin stores its records
    /// (`Value{tag = 1, metadata = 9{plugin_data = 1{plugin_name = 1, content = 2}}}`).
    static func hparams(_ tag: String, wallTime: Double, _ content: (inout ProtobufWriter) -> Void) -> [UInt8] {
        event(wallTime: wallTime, step: 0) { e in
            e.message(5) { s in
                s.message(1) { value in
                    value.string(1, tag)
                    value.message(9) { metadata in
                        metadata.message(1) { plugin in
                            plugin.string(1, "hparams")
                            plugin.message(2) { data in   // HParamsPluginData, version 0
                                content(&data)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `HParamsPluginData.session_start_info = 3 {hparams = 1 (map<string, google.protobuf.Value>),
    /// group_name = 4, start_time_secs = 5}`.
    static func sessionStart(_ hparams: [String: ResultsTable.SettingValue], group: String, wallTime: Double) -> [UInt8] {
        self.hparams("_hparams_/session_start_info", wallTime: wallTime) { data in
            data.message(3) { info in
                for key in hparams.keys.sorted() {
                    info.message(1) { entry in
                        entry.string(1, key)
                        entry.message(2) { value in
                            switch hparams[key]! {
                            case .number(let d): value.double(2, d)
                            case .text(let s): value.string(3, s)
                            }
                        }
                    }
                }
                info.string(4, group)
                info.double(5, wallTime)
            }
        }
    }

    /// `session_end_info = 4 {status = 1 (1 success, 2 failure, 3 running), end_time_secs = 2}`.
    static func sessionEnd(_ status: RunSummary.Status, wallTime: Double) -> [UInt8] {
        let code: Int64 = switch status {
        case .ok, .diverged: 1
        case .failed: 2
        case .interrupted, .incomplete: 3
        }
        return hparams("_hparams_/session_end_info", wallTime: wallTime) { data in
            data.message(4) { info in
                info.int64(1, code)
                info.double(2, wallTime)
            }
        }
    }

    /// The scalars of metrics rows: `loss` and `lr` at every step, the metric and `val_loss` where evaluated.
    static func rows(_ rows: ArraySlice<MetricRow>, metricName: String, start: Double) -> [UInt8] {
        rows.flatMap { r -> [UInt8] in
            var values = [("loss", r.loss), ("lr", r.lr)]
            if let m = r.metric { values.append((metricName, m)) }
            if let v = r.valLoss { values.append(("val_loss", v)) }
            return scalars(step: r.step, wallTime: start + r.time, values)
        }
    }

    /// Cuts the file at `path` to `offset` bytes (creating it when absent) and appends `bytes`;
    /// returns its new length. Never through a symbolic link: one planted in a run directory
    /// would have this truncate and append to whatever it points at.
    static func append(_ bytes: [UInt8], to path: String, at offset: Int) throws -> Int {
        func fail(_ reason: String) -> Error { DescentError.file(path, "cannot write the event file (\(reason))") }
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail(errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(offset)) == 0 else { throw fail(String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + written, bytes.count - written, off_t(offset + written)) }
            if n < 0 { if errno == EINTR { continue }; throw fail(String(cString: strerror(errno))) }
            written += n
        }
        return offset + bytes.count
    }

    /// The length of the event file at `path`, 0 when absent; a link or a non-file is an error.
    static func length(of path: String) throws -> Int {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw DescentError.file(path, "the event file is not a regular file (a symbolic link?)") }
        return Int(st.st_size)
    }
}
