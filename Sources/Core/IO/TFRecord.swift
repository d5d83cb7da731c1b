/// TFRecord framing, as TensorBoard's event files use it: each record is its length (UInt64,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
public enum TFRecord {
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { out += $0 }
        let lengthCRC = CRC32C.masked(CRC32C.checksum(out))
        withUnsafeBytes(of: lengthCRC.littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian) { out += $0 }
        return out
    }

    /// The records of a file, each checked against its CRCs; `path` names it in errors.
    public static func records(_ bytes: [UInt8], path: String) throws -> [[UInt8]] {
        var i = 0, out: [[UInt8]] = []
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while i < bytes.count {
            guard bytes.count - i >= 12 else { throw DescentError.file(path, "truncated record header at byte \(i)") }
            let length = bytes[i..<(i + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard CRC32C.masked(CRC32C.checksum(bytes[i..<(i + 8)])) == u32(i + 8) else { throw DescentError.file(path, "bad length checksum at byte \(i)") }
            guard length <= UInt64(bytes.count - i - 16) else { throw DescentError.file(path, "truncated record at byte \(i)") }
            let start = i + 12, end = start + Int(length)
            guard CRC32C.masked(CRC32C.checksum(bytes[start..<end])) == u32(end) else { throw DescentError.file(path, "bad data checksum at byte \(i)") }
            out.append(Array(bytes[start..<end]))
            i = end + 4
        }
        return out
    }
}
