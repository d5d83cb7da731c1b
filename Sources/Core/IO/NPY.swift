import Foundation

/// NumPy `.npy` files (format versions 1.0–3.0).
///
/// Loading accepts little-endian float32 (native), float64, signed/unsigned integers of 1–8
/// bytes and booleans, all converted to Float32. Big-endian data, Fortran order, object arrays,
/// and truncated files are rejected with the path and the reason. Saving writes version 1.0
/// float32 with the header padded to 64 bytes, as NumPy does.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func save(_ t: Tensor, to path: String) throws {
        let shapeText = t.shape.isEmpty ? "()" : t.shape.count == 1 ? "(\(t.shape[0]),)"
            : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(UnsafeBufferPointer(start: t.data, count: t.count))
        try AtomicFile.write(data, to: path)
    }

    public static func load(_ path: String) throws -> Tensor {
        try decode(AtomicFile.read(path), path: path)
    }

    /// Parses the bytes of an `.npy` file; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> Tensor { try decodeTyped(data, path: path).tensor }

    /// An array and what it was stored as: `u1` (bytes), `f4`, ... (the dtype's kind and size).
    public static func loadTyped(_ path: String) throws -> (tensor: Tensor, dtype: String) {
        try decodeTyped(AtomicFile.read(path), path: path)
    }

    public static func decodeTyped(_ data: Data, path: String) throws -> (tensor: Tensor, dtype: String) {
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> DescentError { .file(path, "not a valid .npy file: \(reason)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("missing the \\x93NUMPY magic") }
        let major = bytes[6]
        let (headerLen, start): (Int, Int)
        switch major {
        case 1: (headerLen, start) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            (headerLen, start) = (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        default: throw fail("unsupported format version \(major).\(bytes[7])")
        }
        guard bytes.count >= start + headerLen else { throw fail("truncated header (\(headerLen) bytes announced, \(bytes.count - start) present)") }
        guard let header = String(bytes: bytes[start..<start + headerLen], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("unreadable header")
        }
        guard let descr = field(header, "descr").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }) else {
            throw fail("header has no 'descr'")
        }
        guard let fortran = field(header, "fortran_order") else { throw fail("header has no 'fortran_order'") }
        if fortran == "True" { throw DescentError.file(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray") }
        guard let shapeText = field(header, "shape"), shapeText.hasPrefix("("), shapeText.hasSuffix(")") else {
            throw fail("header has no 'shape' tuple")
        }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw fail("bad shape \(shapeText)") }
            shape.append(v)
        }
        guard let kind = ElementKind(descr) else {
            if descr.hasPrefix(">") { throw DescentError.file(path, "big-endian data (\(descr)) is not supported; convert with arr.astype('<f4')") }
            throw DescentError.file(path, "unsupported dtype \(descr) (float32, float64, integers and bool load)")
        }
        // The file must hold the data before anything is allocated for it: a 160-byte file may
        // announce a 40 GB array.
        let body = start + headerLen
        let needed = checkedProduct(shape).flatMap { checkedProduct([$0, kind.size]) }
        guard let needed, bytes.count - body >= needed else {
            let size = needed.map { "\($0) bytes" } ?? "more bytes than a file holds"
            throw DescentError.file(path, "truncated data: \(size) expected for \(descr) \(formatShape(shape)), got \(bytes.count - body)")
        }
        let t = try Tensor.checked(shape, path, zeroed: false)
        bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + body
            for i in 0..<t.count { t.data[i] = kind.read(p + i * kind.size) }
        }
        return (t, String(descr.dropFirst()))
    }

    /// The text of `key`'s value in a Python dict literal (the shape keeps its parentheses).
    private static func field(_ header: String, _ key: String) -> String? {
        guard let k = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[k.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    /// A supported element type and how to read one element as Float.
    private struct ElementKind {
        let size: Int
        let read: (UnsafeRawPointer) -> Float

        init?(_ descr: String) {
            guard descr.count >= 3, let order = descr.first, let code = descr.dropFirst().first,
                  let size = Int(descr.dropFirst(2)) else { return nil }
            // '|' (not applicable) is valid only for one-byte types; '=' means native, little here.
            guard order == "<" || order == "=" || (order == "|" && size == 1) else { return nil }
            self.size = size
            switch (code, size) {
            case ("f", 4): read = { $0.loadUnaligned(as: Float.self) }
            case ("f", 8): read = { Float($0.loadUnaligned(as: Double.self)) }
            case ("f", 2): read = { Float(Float16(bitPattern: $0.loadUnaligned(as: UInt16.self))) }
            case ("i", 1): read = { Float($0.loadUnaligned(as: Int8.self)) }
            case ("i", 2): read = { Float($0.loadUnaligned(as: Int16.self)) }
            case ("i", 4): read = { Float($0.loadUnaligned(as: Int32.self)) }
            case ("i", 8): read = { Float($0.loadUnaligned(as: Int64.self)) }
            case ("u", 1), ("b", 1): read = { Float($0.loadUnaligned(as: UInt8.self)) }
            case ("u", 2): read = { Float($0.loadUnaligned(as: UInt16.self)) }
            case ("u", 4): read = { Float($0.loadUnaligned(as: UInt32.self)) }
            case ("u", 8): read = { Float($0.loadUnaligned(as: UInt64.self)) }
            default: return nil
            }
        }
    }
}
