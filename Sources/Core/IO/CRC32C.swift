/// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 and TFRecord/TensorBoard files), and the
/// "masked" form TFRecord stores. Guards checkpoints against truncation and flipped bits.
public struct CRC32C {
    public private(set) var value: UInt32 = 0

    public init() {}

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var c = ~value
        Self.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        value = ~c
    }

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let a = Array(bytes)
        a.withUnsafeBytes { update($0) }
    }

    public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c = CRC32C()
        c.update(bytes)
        return c.value
    }

    /// TFRecord's masking: rotate right by 15 and add a constant, so a CRC stored next to the
    /// data it covers does not checksum to a fixed value.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
