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
        // A fresh temporary file (O_EXCL: never through a link someone planted), flushed before
        // it replaces the old file, so a crash or a full disk leaves the previous version whole.
        let tmp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DescentError.file(path, "cannot write (\(String(cString: strerror(errno))))") }
        let failure: String? = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return String(cString: strerror(errno)) }
                offset += n
            }
            return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
        }
        close(fd)
        if let failure {
            unlink(tmp)
            throw DescentError.file(path, "cannot write (\(failure))")
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

    /// Reads a whole file, or throws naming the path and the reason. With read(2), not
    /// `FileManager.contents(atPath:)`: that leaked a 4 KiB buffer on some reads
    /// (LeakSanitizer, swift-corelibs-foundation of Swift 6.3).
    public static func read(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DescentError.file(path, errno == ENOENT ? "no such file" : "cannot read (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DescentError.file(path, "cannot read (\(String(cString: strerror(errno))))") }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw DescentError.file(path, "is a directory, not a file") }
        // Read into the size fstat gives, then on until the end (a pipe or a /proc file has no
        // size; a file may grow while it is read).
        var data = Data(count: max(0, Int(info.st_size)))
        var filled = 0
        while true {
            if filled == data.count { data.count += max(1 << 16, data.count / 2) }
            let n = data.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw DescentError.file(path, "cannot read (\(String(cString: strerror(errno))))")
            }
            filled += n
        }
        data.count = filled
        return data
    }
}
