import CStb
import Foundation

/// Image files through Debian's stb_image: PNG and JPEG decode to RGB, resized to a square side
/// (the study's `size`) and stored as Float32 CHW in [0, 1]. Only these two: stb_image 2.27 has
/// known bugs in its other readers (an RLE HDR that loops forever, 16-bit PNM read out of
/// bounds), so a file's signature is checked before stb sees it.
/// Writing (PNG, JPEG) is for tests and for rendering datasets to files.
public enum ImageFile {
    /// The largest image side, and the most pixels, accepted before decoding: a header can claim
    /// anything (a 389 KB PNG claimed 1.5 GB of pixels). 64 megapixels is a large camera's.
    public static let maximumSide = 1 << 15
    public static let maximumPixels = 1 << 26

    /// The format the file's first bytes name, nil for PNG and JPEG (the two accepted).
    static func unsupportedFormat(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) || bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return nil }
        let known: [(String, [UInt8])] = [("GIF", Array("GIF8".utf8)), ("BMP", Array("BM".utf8)), ("Radiance HDR", Array("#?".utf8)),
                                          ("Photoshop", Array("8BPS".utf8)), ("WebP", Array("RIFF".utf8)), ("PNM", Array("P".utf8))]
        return known.first { bytes.starts(with: $0.1) }?.0 ?? "not a PNG or JPEG"
    }

    /// The image at `path` as 3 x side x side floats; also its original width and height.
    public static func load(_ path: String, side: Int) throws -> (pixels: [Float], width: Int, height: Int) {
        let bytes = [UInt8](try AtomicFile.read(path))
        guard side >= 1, side <= 4096 else { throw DescentError.argument("image", "size", "must be from 1 to 4096, got \(side)") }
        if let format = unsupportedFormat(bytes) {
            throw DescentError.file(path, "\(format) image; Descent reads PNG and JPEG only (convert it, e.g. with ImageMagick's convert)")
        }
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        let known = bytes.withUnsafeBufferPointer { stbi_info_from_memory($0.baseAddress, Int32(clamping: $0.count), &w, &h, &c) }
        guard known != 0 else { throw DescentError.file(path, "not an image stb_image can read (\(reason()))") }
        guard w >= 1, h >= 1, Int(w) <= maximumSide, Int(h) <= maximumSide, Int(w) * Int(h) <= maximumPixels else {
            throw DescentError.file(path, "image of \(w)x\(h) pixels; at most \(maximumSide) per side and \(maximumPixels >> 20) megapixels")
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
