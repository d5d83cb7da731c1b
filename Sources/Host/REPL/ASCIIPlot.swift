/// A small text chart of a series (the REPL's `:plot`): `height` rows, at most `width` columns
/// (the series is resampled), y range labelled; non-finite values are skipped.
enum ASCIIPlot {
    static func render(_ values: [Double], width: Int = 60, height: Int = 10) -> String {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return "(no finite values)" }
        let cols = min(width, values.count)
        var grid = [[Character]](repeating: [Character](repeating: " ", count: cols), count: height)
        for c in 0..<cols {
            let v = values[c * values.count / cols]
            guard v.isFinite else { continue }
            let r = hi == lo ? height / 2 : Int(((v - lo) / (hi - lo) * Double(height - 1)).rounded())
            grid[height - 1 - r][c] = "•"
        }
        func label(_ v: Double) -> String { String(String(format: "%10.4g", v).suffix(10)) }
        return grid.enumerated().map { i, row in
            (i == 0 ? label(hi) : i == height - 1 ? label(lo) : String(repeating: " ", count: 10)) + " |" + String(row)
        }.joined(separator: "\n") + "\n" + String(repeating: " ", count: 11) + "+" + String(repeating: "-", count: cols)
            + "\n" + String(repeating: " ", count: 12) + "0" + String(repeating: " ", count: max(1, cols - 1 - String(values.count - 1).count)) + String(values.count - 1)
    }
}
