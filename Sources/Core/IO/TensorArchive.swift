import Foundation

/// Descent's checkpoint container: named tensors and numbers in one file.
///
/// Layout: the 8 bytes `DSCNTAR1`, a little-endian UInt64 header length, a JSON header
/// `{"entries": [{"name", "kind": "tensor", "shape", "offset"} | {"name", "kind": "number",
/// "value"} | {"name", "kind": "string", "value"}]}`, then the float32 data of the tensors
/// back to back. Written atomically, so an interrupted save keeps the previous checkpoint.
public struct TensorArchive {
    public enum Entry {
        case tensor(Tensor), number(Double), string(String)
    }

    public private(set) var names: [String] = []
    private var entries: [String: Entry] = [:]

    public init() {}

    public subscript(name: String) -> Entry? {
        get { entries[name] }
        set {
            if entries[name] == nil, newValue != nil { names.append(name) }
            entries[name] = newValue
        }
    }

    private static let magic = Array("DSCNTAR1".utf8)

    public func save(to path: String) throws {
        var header: [[String: Any]] = []
        var offset = 0
        for name in names {
            switch entries[name]! {
            case .tensor(let t):
                header.append(["name": name, "kind": "tensor", "shape": t.shape, "offset": offset])
                offset += t.count * 4
            case .number(let v): header.append(["name": name, "kind": "number", "value": v.isFinite ? v as Any : String(v)])
            case .string(let s): header.append(["name": name, "kind": "string", "value": s])
            }
        }
        let json = try JSONSerialization.data(withJSONObject: ["entries": header], options: [.sortedKeys])
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            if case .tensor(let t) = entries[name]! { data.append(UnsafeBufferPointer(start: t.data, count: t.count)) }
        }
        try AtomicFile.write(data, to: path)
    }

    public static func load(_ path: String) throws -> TensorArchive {
        let data = try AtomicFile.read(path)
        func fail(_ why: String) -> DescentError { .file(path, "not a valid Descent checkpoint: \(why)") }
        guard data.count >= 16, Array(data.prefix(8)) == magic else { throw fail("missing the DSCNTAR1 magic") }
        let len = data.subdata(in: 8..<16).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard len >= 0, 16 + len <= data.count else { throw fail("truncated header") }
        guard let obj = try? JSONSerialization.jsonObject(with: data.subdata(in: 16..<16 + len)) as? [String: Any],
              let list = obj["entries"] as? [[String: Any]] else { throw fail("unreadable header") }
        let body = 16 + len
        var archive = TensorArchive()
        for e in list {
            guard let name = e["name"] as? String, let kind = e["kind"] as? String else { throw fail("entry without name or kind") }
            switch kind {
            case "tensor":
                guard let shape = e["shape"] as? [Int], let offset = e["offset"] as? Int else { throw fail("tensor '\(name)' without shape or offset") }
                try Tensor.checkShape(shape, path)
                let t = Tensor(zeros: shape)
                guard offset >= 0, body + offset + t.count * 4 <= data.count else { throw fail("truncated data for tensor '\(name)'") }
                data.withUnsafeBytes { raw in
                    _ = memcpy(t.data, raw.baseAddress! + body + offset, t.count * 4)
                }
                archive[name] = .tensor(t)
            case "number":
                if let v = e["value"] as? Double { archive[name] = .number(v) }
                else if let s = e["value"] as? String, let v = Double(s) { archive[name] = .number(v) }
                else { throw fail("number '\(name)' without a value") }
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

    public func number(_ name: String, path: String) throws -> Double {
        guard case .number(let v) = entries[name] else { throw DescentError.file(path, "checkpoint has no number '\(name)'") }
        return v
    }
}
