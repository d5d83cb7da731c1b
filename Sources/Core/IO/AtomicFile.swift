import Foundation

/// Writes whole files atomically: to a temporary file beside the target, then `rename(2)`.
/// An interrupted write leaves the previous file intact (checkpoints, reports, metrics).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            catch { throw DescentError.file(path, "cannot create directory \(dir): \(error.localizedDescription)") }
        }
        let tmp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw DescentError.file(path, "cannot write (\(String(cString: strerror(errno))))")
        }
        guard rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw DescentError.file(path, "cannot replace (\(reason))")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Reads a whole file, or throws naming the path and the reason.
    public static func read(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DescentError.file(path, "no such file") }
        guard !isDirectory.boolValue else { throw DescentError.file(path, "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DescentError.file(path, "cannot read (\(String(cString: strerror(errno))))")
        }
        return data
    }
}
