import DescentCore
import Foundation

/// What to do with a run's directory before a study executes it, so that re-running a study
/// resumes it: skip a run finished with the same configuration, continue an unfinished one from
/// its checkpoint, and put a run of another configuration aside (`.aside/<run>-<hash>`) rather
/// than mix its files with the new ones; a run put aside earlier comes back when its
/// configuration is asked for again.
enum RunDirectory {
    enum Plan: Equatable {
        /// Finished (ok or diverged) with this configuration: its summary stands.
        case done(RunSummary)
        /// Unfinished: continue from the checkpoint there.
        case resume
        /// Train from the first step.
        case start
    }

    /// Decides and prepares `<experiment>/<run>` for a run of configuration `hash`. `fresh`
    /// (`--fresh`) deletes what is there. `warn` hears about files that cannot be used.
    static func prepare(_ dir: String, hash: String, fresh: Bool, warn: (String) -> Void) throws -> Plan {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir) { try locked(dir) {} }
        if fresh {
            try remove(dir)
            return .start
        }
        guard fm.fileExists(atPath: dir) else { return restoreAside(dir, hash: hash) ? try prepare(dir, hash: hash, fresh: false, warn: warn) : .start }
        let stored = storedHash(dir)
        if stored != hash {
            if stored != nil || fm.fileExists(atPath: dir + "/metrics.csv") {
                try putAside(dir, hash: stored ?? "unknown")
                return restoreAside(dir, hash: hash) ? try prepare(dir, hash: hash, fresh: false, warn: warn) : .start
            }
            return .start
        }
        if let s = try? RunFiles.readSummary(dir + "/summary.json"), s.configHash == hash {
            switch s.status {
            case .ok, .diverged: return .done(s)
            // A failed run resumes from its checkpoint like an interrupted one: what failed may
            // have been the process (killed, out of memory, a full disk), not the training. A
            // fix to a plugin changes the configuration hash, which sets the run aside instead.
            case .failed, .interrupted, .incomplete: break
            }
        }
        let checkpoint = dir + "/" + RunCheckpoint.file
        guard fm.fileExists(atPath: checkpoint) else { return .start }
        do {
            let archive = try TensorArchive.load(checkpoint)
            guard try archive.string("config_hash", path: checkpoint) == hash else { throw DescentError.file(checkpoint, "belongs to another configuration") }
            return .resume
        } catch {
            let aside = try RunCheckpoint.setAside(checkpoint)
            warn("\(error); set aside as \(aside), training \(URL(fileURLWithPath: dir).lastPathComponent) from the start")
            return .start
        }
    }

    /// Holds `<dir>/.lock` (flock) while a process trains the run, so two processes never
    /// write one run: a study started again while a worker of the last one still winds down,
    /// or two studies sharing an --out. Released when `body` returns.
    static func locked<T>(_ dir: String, _ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fd = open(dir + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DescentError.file(dir + "/.lock", "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw DescentError.file(dir, "another Descent process is training this run; wait for it to finish or stop it")
        }
        return try body()
    }

    /// The configuration hash recorded in the run's config.json.
    static func storedHash(_ dir: String) -> String? { config(dir)["config_hash"] as? String }

    /// The run's config.json as read, empty when there is none (or it is unreadable).
    static func config(_ dir: String) -> [String: Any] {
        guard let data = try? AtomicFile.read(dir + "/config.json"),
              let d = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return d
    }

    static func asidePath(_ dir: String, hash: String) -> String {
        let url = URL(fileURLWithPath: dir)
        return url.deletingLastPathComponent().path + "/.aside/" + url.lastPathComponent + "-" + hash.prefix(16)
    }

    private static func putAside(_ dir: String, hash: String) throws {
        let target = asidePath(dir, hash: hash)
        try remove(target)
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: dir, toPath: target)
            renameEventFiles(in: target, from: "tfevents", to: asideEvents)
        } catch {
            throw DescentError.file(dir, "cannot put the results of its earlier configuration aside (\(error.localizedDescription))")
        }
    }

    private static func restoreAside(_ dir: String, hash: String) -> Bool {
        let source = asidePath(dir, hash: hash)
        guard FileManager.default.fileExists(atPath: source) else { return false }
        guard (try? FileManager.default.moveItem(atPath: source, toPath: dir)) != nil else { return false }
        renameEventFiles(in: dir, from: asideEvents, to: "tfevents")
        return true
    }

    /// A set-aside run's event file is renamed without "tfevents": TensorBoard reads every file
    /// whose name holds that word in every folder under its logdir (`.aside/` too), and would
    /// show the old configuration beside the live run of the same name.
    static let asideEvents = "set-aside"

    private static func renameEventFiles(in dir: String, from: String, to: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix("events.out." + from + ".") {
            let renamed = "events.out." + to + "." + name.dropFirst(("events.out." + from + ".").count)
            try? FileManager.default.moveItem(atPath: dir + "/" + name, toPath: dir + "/" + renamed)
        }
    }

    private static func remove(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw DescentError.file(path, "cannot remove (\(error.localizedDescription))")
        }
    }
}
