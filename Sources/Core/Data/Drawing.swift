/// A CHW float canvas with the few primitives the synthetic datasets draw with.
struct Canvas {
    let channels: Int, height: Int, width: Int
    var pixels: [Float]

    init(channels: Int = 3, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        pixels = [Float](repeating: 0, count: channels * height * width)
    }

    mutating func set(_ x: Int, _ y: Int, _ color: [Float]) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        for c in 0..<channels { pixels[(c * height + y) * width + x] = color[c % color.count] }
    }

    /// Fills the axis-aligned rectangle [x1, x2) x [y1, y2) (clipped).
    mutating func rect(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: [Float]) {
        let xs = max(0, Int(x1.rounded()))..<min(width, Int(x2.rounded())), ys = max(0, Int(y1.rounded()))..<min(height, Int(y2.rounded()))
        guard !xs.isEmpty, !ys.isEmpty else { return }
        for y in ys { for x in xs { set(x, y, color) } }
    }

    mutating func disc(_ cx: Double, _ cy: Double, _ r: Double, _ color: [Float]) {
        let r2 = r * r
        for y in max(0, Int(cy - r))...min(height - 1, Int(cy + r) + 1) where y >= 0 {
            for x in max(0, Int(cx - r))...min(width - 1, Int(cx + r) + 1) where x >= 0 {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                if dx * dx + dy * dy <= r2 { set(x, y, color) }
            }
        }
    }

    /// A filled triangle (barycentric test per pixel of its bounding box).
    mutating func triangle(_ p: [(Double, Double)], _ color: [Float]) {
        let xs = p.map(\.0), ys = p.map(\.1)
        func edge(_ a: (Double, Double), _ b: (Double, Double), _ x: Double, _ y: Double) -> Double {
            (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0)
        }
        for y in max(0, Int(ys.min()!))...min(height - 1, Int(ys.max()!)) {
            for x in max(0, Int(xs.min()!))...min(width - 1, Int(xs.max()!)) {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                let e = [edge(p[0], p[1], px, py), edge(p[1], p[2], px, py), edge(p[2], p[0], px, py)]
                if e.allSatisfy({ $0 >= 0 }) || e.allSatisfy({ $0 <= 0 }) { set(x, y, color) }
            }
        }
    }

    /// Adds N(0, sigma) noise to every value.
    mutating func noise(_ sigma: Double, _ rng: inout RandomGenerator) {
        for i in pixels.indices { pixels[i] += Float(sigma * rng.normal()) }
    }
}
