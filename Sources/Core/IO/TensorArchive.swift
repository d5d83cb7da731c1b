import Foundation

/// Descent's checkpoint container: named tensors, 64-bit word arrays (random generator states,
/// data order), numbers and strings in one file.
///
/// Layout: the 8 bytes `DSCNTAR2`, a little-endian UInt64 header length, a JSON header
/// `{"entries": [{"name", "kind": "tensor", "shape", "offset"} | {"name", "kind": "words",
/// "count", "offset"} | {"name", "kind": "number" | "string", "value"}]}`, the data (float32
/// tensors, UInt64 words, little-endian, back to back), and a CRC-32C of everything before it.
/// Numbers are written as Swift's shortest exact decimal, so they load bit for bit. Written
/// atomically: an interrupted save keeps the previous file.
public struct TensorArchive {
    public enum Entry {
        case tensor(Tensor), words([UInt64]), number(Double), string(String)
    }

    public private(set) var names: [String] = []
    private var entries: [String: Entry] = [:]

    public init() {}

    public subscript(name: String) -> Entry? {
        get { entries[name] }
        set {
            if entries[name] == nil, newValue != nil { names.append(name) }
            if newValue == nil { names.removeAll { $0 == name } }
            entries[name] = newValue
        }
    }

    static let magic = Array("DSCNTAR2".utf8)

    public func encoded() throws -> Data {
        var header: [[String: Any]] = []
        var body = Data()
        for name in names {
            switch entries[name]! {
            case .tensor(let t):
                header.append(["name": name, "kind": "tensor", "shape": t.shape, "offset": body.count])
                body.append(UnsafeBufferPointer(start: t.data, count: t.count))
            case .words(let w):
                header.append(["name": name, "kind": "words", "count": w.count, "offset": body.count])
                w.map(\.littleEndian).withUnsafeBytes { body.append(contentsOf: $0) }
            case .number(let v): header.append(["name": name, "kind": "number", "value": "\(v)"])
            case .string(let s): header.append(["name": name, "kind": "string", "value": s])
            }
        }
        let json = try JSONSerialization.data(withJSONObject: ["entries": header], options: [.sortedKeys])
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(body)
        var crc = CRC32C()
        data.withUnsafeBytes { crc.update($0) }
        withUnsafeBytes(of: crc.value.littleEndian) { data.append(contentsOf: $0) }
        return data
    }

    public func save(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    public static func load(_ path: String) throws -> TensorArchive {
        try decode(try AtomicFile.read(path), path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> TensorArchive {
        func fail(_ why: String) -> DescentError { .file(path, "not a valid Descent checkpoint: \(why)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw fail(bytes.starts(with: Array("DSCNTAR".utf8)) ? "written in an older checkpoint format" : "missing the DSCNTAR2 magic")
        }
        guard bytes.count >= 20 else { throw fail("truncated (\(bytes.count) bytes)") }
        var crc = CRC32C()
        bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 4)])) }
        let stored = bytes[(bytes.count - 4)...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard crc.value == stored else { throw fail("checksum mismatch (the file is truncated or corrupt)") }
        let length = bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let end = bytes.count - 4
        guard length <= UInt64(end - 16) else { throw fail("truncated header") }
        let bodyStart = 16 + Int(length)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[16..<bodyStart])) as? [String: Any],
              let list = object["entries"] as? [[String: Any]] else { throw fail("unreadable header") }
        /// The bytes `offset..<offset+count` of the data section, checked.
        func region(_ name: String, _ offset: Any?, _ count: Int) throws -> Range<Int> {
            guard let offset = offset as? Int, offset >= 0, offset <= end - bodyStart, count <= end - bodyStart - offset else {
                throw fail("data of '\(name)' lies outside the file")
            }
            return (bodyStart + offset)..<(bodyStart + offset + count)
        }
        var archive = TensorArchive()
        for e in list {
            guard let name = e["name"] as? String, let kind = e["kind"] as? String else { throw fail("entry without name or kind") }
            guard archive[name] == nil else { throw fail("entry '\(name)' appears twice") }
            switch kind {
            case "tensor":
                guard let shape = e["shape"] as? [Int] else { throw fail("tensor '\(name)' without a shape") }
                guard shape.allSatisfy({ $0 >= 0 }), let count = checkedProduct(shape + [4]) else { throw fail("tensor '\(name)' has a negative or huge shape \(shape)") }
                // The file must hold the data before any memory is set aside for it.
                let r = try region(name, e["offset"], count)
                let t = try Tensor.checked(shape, path, zeroed: false)
                bytes.withUnsafeBytes { raw in _ = memcpy(t.data, raw.baseAddress! + r.lowerBound, r.count) }
                archive[name] = .tensor(t)
            case "words":
                guard let count = e["count"] as? Int, count >= 0, count <= (end - bodyStart) / 8 else { throw fail("words '\(name)' without a valid count") }
                let r = try region(name, e["offset"], count * 8)
                archive[name] = .words(stride(from: r.lowerBound, to: r.upperBound, by: 8).map { i in
                    bytes[i..<(i + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                })
            case "number":
                guard let s = e["value"] as? String, let v = Double(s) else { throw fail("number '\(name)' without a value") }
                archive[name] = .number(v)
            case "string":
                guard let s = e["value"] as? String else { throw fail("string '\(name)' without a value") }
                archive[name] = .string(s)
            default: throw fail("entry '\(name)' of unknown kind '\(kind)'")
            }
        }
        return archive
    }

    public func tensor(_ name: String, path: String) throws -> Tensor {
        guard case .tensor(let t) = entries[name] else { throw DescentError.file(path, "checkpoint has no tensor '\(name)'") }
        return t
    }

    public func words(_ name: String, path: String) throws -> [UInt64] {
        guard case .words(let w) = entries[name] else { throw DescentError.file(path, "checkpoint has no word array '\(name)'") }
        return w
    }

    public func number(_ name: String, path: String) throws -> Double {
        guard case .number(let v) = entries[name] else { throw DescentError.file(path, "checkpoint has no number '\(name)'") }
        return v
    }

    public func string(_ name: String, path: String) throws -> String {
        guard case .string(let s) = entries[name] else { throw DescentError.file(path, "checkpoint has no string '\(name)'") }
        return s
    }
}
