/// The few pieces of the protobuf wire format that TensorBoard's event files need: varints,
/// length-delimited fields, 32- and 64-bit floats (proto3 encoding, fields in order), and a
/// reader of the same for tests.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    public mutating func int64(_ field: Int, _ v: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: v))
    }

    public mutating func bool(_ field: Int, _ v: Bool) {
        key(field, 0)
        varint(v ? 1 : 0)
    }

    public mutating func double(_ field: Int, _ v: Double) {
        key(field, 1)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func float(_ field: Int, _ v: Float) {
        key(field, 5)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func bytes(_ field: Int, _ v: [UInt8]) {
        key(field, 2)
        varint(UInt64(v.count))
        bytes += v
    }

    public mutating func string(_ field: Int, _ v: String) { bytes(field, Array(v.utf8)) }

    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var m = ProtobufWriter()
        build(&m)
        bytes(field, m.bytes)
    }
}

/// Reads protobuf wire format: (field number, value) pairs of one message level.
public enum ProtobufReader {
    public enum Value: Equatable {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8])

        public var double: Double? { if case .fixed64(let b) = self { return Double(bitPattern: b) } else { return nil } }
        public var float: Float? { if case .fixed32(let b) = self { return Float(bitPattern: b) } else { return nil } }
        public var string: String? { if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) } else { return nil } }
        public var message: [UInt8]? { if case .bytes(let b) = self { return b } else { return nil } }
    }

    public static func fields(_ data: [UInt8]) throws -> [(Int, Value)] {
        var i = 0, out: [(Int, Value)] = []
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < data.count, shift < 64 else { throw DescentError("protobuf", "truncated varint") }
                let b = data[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, n <= data.count - i else { throw DescentError("protobuf", "truncated field") }
            defer { i += n }
            return Array(data[i..<(i + n)])
        }
        func little<T: FixedWidthInteger>(_ bytes: [UInt8], _: T.Type) -> T { bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) } }
        while i < data.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1: out.append((field, .fixed64(little(try take(8), UInt64.self))))
            case 2:
                let n = try varint()
                guard n <= UInt64(data.count) else { throw DescentError("protobuf", "truncated field") }
                out.append((field, .bytes(try take(Int(n)))))
            case 5: out.append((field, .fixed32(little(try take(4), UInt32.self))))
            default: throw DescentError("protobuf", "unsupported wire type \(key & 7)")
            }
        }
        return out
    }
}
