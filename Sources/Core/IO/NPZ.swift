import CZlib
import Foundation

/// NumPy `.npz` archives (`np.savez`, `np.savez_compressed`; Keras' `mnist.npz`): a zip file
/// whose members are `.npy` files. Members are stored or deflated; every offset and size is
/// checked against the file, and each member's CRC-32 against its data.
public enum NPZ {
    /// The arrays of the archive by name (`x_train` for the member `x_train.npy`).
    public static func load(_ path: String) throws -> [String: (tensor: Tensor, dtype: String)] {
        try members(AtomicFile.read(path), path: path).reduce(into: [:]) { out, m in out[m.key] = try NPY.decodeTyped(m.value, path: path + " (" + m.key + ".npy)") }
    }

    /// The `.npy` members' bytes by name.
    public static func members(_ data: Data, path: String) throws -> [String: Data] {
        let b = [UInt8](data)
        func fail(_ reason: String) -> DescentError { .file(path, "not a valid .npz (zip) archive: \(reason)") }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard b.count >= 22 else { throw fail("\(b.count) bytes, shorter than a zip directory") }
        // The end-of-central-directory record: signature 50 4B 05 06, within the last 64 KiB + 22 bytes.
        var end = -1
        for o in stride(from: b.count - 22, through: max(0, b.count - 22 - 65535), by: -1) where u32(o) == 0x0605_4B50 {
            end = o
            break
        }
        guard end >= 0 else {
            if b.count >= 6, Array(b[0..<6]) == NPY.magic { throw DescentError.file(path, "is a single .npy array, not an .npz archive; use the npy dataset") }
            throw fail("no end-of-central-directory record")
        }
        let count = u16(end + 10), size = u32(end + 12), start = u32(end + 16)
        guard count != 0xFFFF, size != 0xFFFF_FFFF, start != 0xFFFF_FFFF else {
            throw DescentError.file(path, "a zip64 archive (members over 4 GB); save smaller arrays or use .npy files")
        }
        guard start + size <= end else { throw fail("central directory outside the file") }
        var out: [String: Data] = [:]
        var o = start
        for _ in 0..<count {
            guard o + 46 <= end, u32(o) == 0x0201_4B50 else { throw fail("central directory entry expected at byte \(o)") }
            let method = u16(o + 10), crc = u32(o + 16), packed = u32(o + 20), unpacked = u32(o + 24)
            let nameLength = u16(o + 28), extra = u16(o + 30), comment = u16(o + 32), local = u32(o + 42)
            guard o + 46 + nameLength <= end else { throw fail("entry name outside the directory") }
            let name = String(decoding: b[o + 46 ..< o + 46 + nameLength], as: UTF8.self)
            o += 46 + nameLength + extra + comment
            guard packed != 0xFFFF_FFFF, unpacked != 0xFFFF_FFFF, local != 0xFFFF_FFFF else {
                throw DescentError.file(path, "member \(name) is zip64 (over 4 GB); save smaller arrays or use .npy files")
            }
            guard name.hasSuffix(".npy") else { continue }
            guard local + 30 <= start, u32(local) == 0x0403_4B50 else { throw fail("member \(name): local header expected at byte \(local)") }
            let body = local + 30 + u16(local + 26) + u16(local + 28)
            guard body + packed <= start else { throw fail("member \(name): \(packed) bytes announced, the file ends first") }
            guard unpacked <= TensorStorage.maximumBytes else {
                throw DescentError.file(path, "member \(name) announces \(unpacked) bytes, over DESCENT_MAX_TENSOR_BYTES; not read")
            }
            let raw = Data(b[body ..< body + packed])
            let bytes: Data
            switch method {
            case 0:
                guard packed == unpacked else { throw fail("stored member \(name) with sizes \(packed) and \(unpacked)") }
                bytes = raw
            case 8: bytes = try Inflate.raw(raw, expected: unpacked, path: path + " (" + name + ")")
            default: throw DescentError.file(path, "member \(name) uses zip method \(method); only stored (0) and deflate (8) are read")
            }
            let check = bytes.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
            guard Int(check) == crc else { throw fail(String(format: "member %@: CRC-32 %08X expected, computed %08X", name, crc, check)) }
            out[String(name.dropLast(4))] = bytes
        }
        guard !out.isEmpty else { throw fail("no .npy members") }
        return out
    }
}
