import Foundation

/// `loss.svg`: the smoothed training loss of every run on a log axis, with a legend, as a
/// static SVG for papers and slides (report.html draws its charts itself).
enum ReportSVG {
    /// About `count` tick values between lo and hi at 1, 2 or 5 times a power of ten.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count), p = pow(10, floor(log10(raw))), f = raw / p
        let step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p
        // Values a few ulps apart (steps near 2^60, learning rates one ulp apart) leave no room
        // for a step that moves v: the loop would never end.
        guard step.isFinite, step > 0, lo + step > lo, hi - lo > abs(hi) * 1e-12 else { return [lo] }
        var out: [Double] = [], v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9, out.count <= 4 * count {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// Ticks of a log10 axis between exponents lo and hi: the powers of ten, with 2 and 5
    /// between them when the axis spans two decades or less.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var out: [Double] = []
        let few = hi.rounded(.up) - lo.rounded(.down) <= 2
        for d in stride(from: lo.rounded(.down), through: hi.rounded(.up), by: 1) {
            for m in few ? [1.0, 2, 5] : [1] where d + log10(m) >= lo - 1e-9 && d + log10(m) <= hi + 1e-9 { out.append(d + log10(m)) }
        }
        return out.count >= 2 ? out : ticks(lo, hi, count: 4)
    }

    /// A short label for a tick value.
    static func label(_ v: Double) -> String {
        let a = abs(v)
        if a != 0 && (a < 1e-3 || a >= 1e5) { return String(format: "%.1e", v) }
        return String(format: "%g", (v * 1e4).rounded() / 1e4)
    }

    static func loss(_ runs: [Report.Run]) -> String {
        let (w, h, l, r, t, b) = (640.0, 300.0, 64.0, 170.0, 28.0, 40.0)
        let series = runs.map { run in zip(run.rows.map { Double($0.step) }, Report.smooth(run.rows.map(\.loss))).filter { $0.1 > 0 && $0.1.isFinite } }
        let points = series.flatMap { $0 }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        svg += "<style>.grid{stroke:#eee}.tick{font:11px sans-serif;fill:#555}.title{font:600 13px sans-serif}</style><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        svg += "<text x=\"\(Int(l))\" y=\"18\" class=\"title\">Training loss (smoothed, EMA 0.9, log scale)</text>"
        guard let x0 = points.map(\.0).min(), var x1 = points.map(\.0).max(),
              var y0 = points.map({ log10($0.1) }).min(), var y1 = points.map({ log10($0.1) }).max() else { return svg + "</svg>" }
        if x1 == x0 { x1 += 1 }
        if y1 == y0 { y0 -= 0.5; y1 += 0.5 }
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * (w - l - r) }
        func py(_ y: Double) -> Double { h - b - (y - y0) / (y1 - y0) * (h - t - b) }
        for v in logTicks(y0, y1) {
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", l, w - r, py(v), py(v))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%@</text>", l - 5, py(v) + 4, label(pow(10, v)))
        }
        for v in ticks(x0, x1, count: 6) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%@</text>", px(v), h - b + 16, label(v))
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">step</text>", (l + w - r) / 2, h - 6)
        for (i, (run, pts)) in zip(runs, series).enumerated() {
            let color = ReportPage.color(i), dash = ReportPage.dash(i)
            let d = pts.map { String(format: "%.1f,%.1f", px($0.0), py(log10($0.1))) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" stroke-dasharray=\"\(dash)\" points=\"\(d)\"/>"
            let ly = t + 8 + Double(i) * 15
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2.5\" stroke-dasharray=\"%@\"/>", w - r + 8, w - r + 30, ly + 5, ly + 5, color, dash)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%@</text>", w - r + 36, ly + 9, Report.escape(run.name))
        }
        return svg + "</svg>"
    }
}
