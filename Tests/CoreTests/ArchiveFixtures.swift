import CZlib
import Foundation
@testable import DescentCore

/// Builds gzip files, raw deflate streams and zip (.npz) archives with zlib, as gzip(1),
/// np.savez and np.savez_compressed write them, for the readers' tests.
enum ArchiveFixtures {
    /// `data` compressed: a gzip member (`gzip: true`) or a raw deflate stream.
    static func deflate(_ data: Data, gzip: Bool) -> Data {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 6, Z_DEFLATED, gzip ? 31 : -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return o.count - Int(stream.avail_out)
            }
        }
        return Data(out[0..<produced])
    }

    static func crc(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
    }

    /// A zip archive of `members` (name, bytes), each stored or deflated.
    static func zip(_ members: [(String, Data)], deflated: Bool) -> Data {
        var out = Data(), directory = Data()
        func u16(_ v: Int, _ d: inout Data) { d.append(contentsOf: [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)]) }
        func u32(_ v: Int, _ d: inout Data) { u16(v & 0xffff, &d); u16(v >> 16 & 0xffff, &d) }
        for (name, bytes) in members {
            let packed = deflated ? deflate(bytes, gzip: false) : bytes
            let offset = out.count, check = Int(crc(bytes)), method = deflated ? 8 : 0
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(method, &out); u16(0, &out); u16(0, &out)
            u32(check, &out); u32(packed.count, &out); u32(bytes.count, &out); u16(name.utf8.count, &out); u16(0, &out)
            out.append(Data(name.utf8)); out.append(packed)
            u32(0x0201_4B50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(method, &directory)
            u16(0, &directory); u16(0, &directory); u32(check, &directory); u32(packed.count, &directory); u32(bytes.count, &directory)
            u16(name.utf8.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u32(0, &directory); u32(offset, &directory); directory.append(Data(name.utf8))
        }
        let start = out.count
        out.append(directory)
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
        u32(directory.count, &out); u32(start, &out); u16(0, &out)
        return out
    }

    /// An .npy file of `shape` holding `bytes` as dtype `descr` (`|u1`, `<f4`, ...).
    static func npy(_ descr: String, _ shape: [Int], _ bytes: [UInt8]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var h = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        var d = Data(NPY.magic + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)])
        d.append(Data(h.utf8))
        d.append(contentsOf: bytes)
        return d
    }

    /// IDX images [n, h, w] with pixel (i, p) = (i * 7 + p) % 256, or labels [n] = i % 10.
    static func idxImages(_ n: Int, _ h: Int, _ w: Int) -> Data {
        var d = Data([0, 0, 8, 3])
        for v in [n, h, w] { d.append(contentsOf: [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]) }
        for i in 0..<n { for p in 0..<h * w { d.append(UInt8((i * 7 + p) % 256)) } }
        return d
    }

    static func idxLabels(_ n: Int) -> Data {
        var d = Data([0, 0, 8, 1, UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)])
        for i in 0..<n { d.append(UInt8(i % 10)) }
        return d
    }
}
