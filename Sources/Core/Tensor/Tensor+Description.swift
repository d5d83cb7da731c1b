import Foundation

/// Printing: a header with the shape, then the values with aligned columns, nested brackets
/// per dimension, and `...` past `edgeItems` items per dimension once the tensor has more than
/// `threshold` elements (NumPy's and PyTorch's convention).
extension Tensor: CustomStringConvertible {
    public var description: String { format() }

    public func format(threshold: Int = 1000, edgeItems: Int = 3) -> String {
        let header = "tensor\(formatShape(shape))"
        if count == 0 { return header + " (empty)" }
        let summarize = count > threshold
        func shownItems(_ n: Int) -> [Int?] {
            summarize && n > 2 * edgeItems ? Array(0..<edgeItems) + [nil] + Array(n - edgeItems..<n) : Array(0..<n)
        }
        // The number format follows the values printed, not all of them (as PyTorch does when it
        // summarizes): a 10M-element tensor prints in microseconds.
        func printed(_ dim: Int, _ offset: Int) -> [Float] {
            if shape.isEmpty { return [data[0]] }
            let stride = shape[(dim + 1)...].reduce(1, *)
            return shownItems(shape[dim]).compactMap { $0 }.flatMap { i in
                dim == shape.count - 1 ? [data[offset + i]] : printed(dim + 1, offset + i * stride)
            }
        }
        let sample = summarize ? printed(0, 0) : values
        let finite = sample.filter(\.isFinite)
        let integral = finite.allSatisfy { $0 == $0.rounded() && Swift.abs($0) < 1e7 }
        let maxAbs = finite.map { Swift.abs($0) }.max() ?? 0
        let minAbs = finite.filter { $0 != 0 }.map { Swift.abs($0) }.min() ?? 1
        let scientific = !integral && (maxAbs >= 1e5 || minAbs < 1e-4)
        func text(_ v: Float) -> String {
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            if integral { return String(format: "%.0f.", v) }
            return String(format: scientific ? "%.4e" : "%.4f", v)
        }
        var width = 1
        for v in sample { width = Swift.max(width, text(v).count) }
        func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }

        func render(_ dim: Int, _ offset: Int, _ indent: String) -> String {
            if shape.isEmpty { return text(data[0]) }
            let stride = shape[(dim + 1)...].reduce(1, *)
            let shown = shownItems(shape[dim])
            if dim == shape.count - 1 {
                return "[" + shown.map { $0.map { pad(text(data[offset + $0])) } ?? "..." }.joined(separator: ", ") + "]"
            }
            let sep = ",\n" + String(repeating: "\n", count: shape.count - dim - 2) + indent + " "
            return "[" + shown.map { $0.map { render(dim + 1, offset + $0 * stride, indent + " ") } ?? "..." }.joined(separator: sep) + "]"
        }
        return header + "\n" + render(0, 0, "")
    }
}
