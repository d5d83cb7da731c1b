import CStb
import Foundation

/// Image files through Debian's stb_image: JPEG, PNG, BMP, GIF, TGA, PSD, HDR and PNM decode to
/// RGB, resized to a square side (the study's `size`) and stored as Float32 CHW in [0, 1].
/// Writing (PNG, JPEG) is for tests and for rendering datasets to files.
public enum ImageFile {
    /// The largest image side accepted before decoding (a header can claim anything).
    public static let maximumSide = 1 << 15

    /// The image at `path` as 3 x side x side floats; also its original width and height.
    public static func load(_ path: String, side: Int) throws -> (pixels: [Float], width: Int, height: Int) {
        let bytes = [UInt8](try AtomicFile.read(path))
        guard side >= 1, side <= 4096 else { throw DescentError.argument("image", "size", "must be from 1 to 4096, got \(side)") }
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        let known = bytes.withUnsafeBufferPointer { stbi_info_from_memory($0.baseAddress, Int32(clamping: $0.count), &w, &h, &c) }
        guard known != 0 else { throw DescentError.file(path, "not an image stb_image can read (\(reason()))") }
        guard w >= 1, h >= 1, Int(w) <= maximumSide, Int(h) <= maximumSide else {
            throw DescentError.file(path, "image of \(w)x\(h) pixels; at most \(maximumSide) per side")
        }
        try Tensor.checkShape([Int(w), Int(h), 3], path)
        guard let decoded = bytes.withUnsafeBufferPointer({ stbi_load_from_memory($0.baseAddress, Int32(clamping: $0.count), &w, &h, &c, 3) }) else {
            throw DescentError.file(path, "cannot decode the image (\(reason()))")
        }
        defer { stbi_image_free(decoded) }
        var resized = [UInt8](repeating: 0, count: side * side * 3)
        if Int(w) == side, Int(h) == side {
            resized.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: decoded, count: side * side * 3) }
        } else {
            let ok = resized.withUnsafeMutableBufferPointer {
                stbir_resize_uint8(decoded, w, h, 0, $0.baseAddress, Int32(side), Int32(side), 0, 3)
            }
            guard ok != 0 else { throw DescentError.file(path, "cannot resize the image to \(side)x\(side)") }
        }
        let plane = side * side
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for ch in 0..<3 { pixels[ch * plane + i] = Float(resized[i * 3 + ch]) / 255 }
        }
        return (pixels, Int(w), Int(h))
    }

    /// Writes CHW floats in [0, 1] (1 or 3 channels) as an 8-bit PNG, or a JPEG (quality 90)
    /// when `path` ends in .jpg or .jpeg.
    public static func write(_ pixels: [Float], channels: Int, width: Int, height: Int, to path: String) throws {
        guard [1, 3].contains(channels), pixels.count == channels * width * height else {
            throw DescentError("image", "\(channels) x \(width) x \(height) values expected, got \(pixels.count)")
        }
        let plane = width * height
        var bytes = [UInt8](repeating: 0, count: plane * channels)
        for i in 0..<plane {
            for ch in 0..<channels { bytes[i * channels + ch] = UInt8((min(1, max(0, pixels[ch * plane + i])) * 255).rounded()) }
        }
        let jpeg = ["jpg", "jpeg"].contains((path as NSString).pathExtension.lowercased())
        let ok = bytes.withUnsafeBufferPointer { b in
            jpeg ? stbi_write_jpg(path, Int32(width), Int32(height), Int32(channels), b.baseAddress, 90)
                 : stbi_write_png(path, Int32(width), Int32(height), Int32(channels), b.baseAddress, Int32(width * channels))
        }
        guard ok != 0 else { throw DescentError.file(path, "cannot write the image") }
    }

    private static func reason() -> String { stbi_failure_reason().map { String(cString: $0) } ?? "unknown reason" }
}
