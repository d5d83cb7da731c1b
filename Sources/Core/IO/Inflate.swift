import CZlib
import Foundation

/// Decompression through zlib: gzip files (`.gz`, told by their magic bytes 1F 8B, several
/// members concatenated as `cat a.gz b.gz` makes them) and raw deflate streams (the members of a
/// zip archive). Output is capped at `TensorStorage.maximumBytes`: a 30 KB file may inflate to
/// 30 GB, so a bomb is an error naming the path, never an allocation.
public enum Inflate {
    public static func isGzip(_ data: Data) -> Bool { data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B }

    /// The file's bytes, decompressed when it is gzip.
    public static func readMaybeGzip(_ path: String) throws -> Data {
        let data = try AtomicFile.read(path)
        return isGzip(data) ? try gzip(data, path: path) : data
    }

    public static func gzip(_ data: Data, path: String, limit: Int = TensorStorage.maximumBytes) throws -> Data {
        try run(data, windowBits: 15 + 16, members: true, path: path, what: "gzip", limit: limit)
    }

    /// A raw deflate stream of `expected` bytes (a zip member).
    public static func raw(_ data: Data, expected: Int, path: String) throws -> Data {
        let out = try run(data, windowBits: -15, members: false, path: path, what: "deflate", limit: expected)
        guard out.count == expected else { throw DescentError.file(path, "deflate stream holds \(out.count) bytes, \(expected) announced") }
        return out
    }

    private static func run(_ input: Data, windowBits: Int32, members: Bool, path: String, what: String, limit: Int) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DescentError.file(path, "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var out = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        return try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Data in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { throw DescentError.file(path, "empty \(what) data") }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(input.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { b -> Int32 in
                    stream.next_out = b.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                guard out.count + produced <= limit else {
                    throw DescentError.file(path, "\(what) data inflates beyond \(limit) bytes (DESCENT_MAX_TENSOR_BYTES); not read")
                }
                out.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (`cat a.gz b.gz`).
                    guard members, stream.avail_in > 0 else { return out }
                    guard inflateReset(&stream) == Z_OK else { throw DescentError.file(path, "zlib could not continue") }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 { throw DescentError.file(path, "truncated \(what) data (the stream ends early)") }
                case Z_BUF_ERROR:
                    throw DescentError.file(path, "truncated \(what) data (the stream ends early)")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DescentError.file(path, "corrupt \(what) data: \(reason)")
                }
            }
        }
    }
}
