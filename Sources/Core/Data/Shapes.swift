/// `shapes`: synthetic classification of filled shapes (circle, square, triangle, cross, ring)
/// of random size, position and colour on a noisy background. Sample i comes from (seed, i).
public final class Shapes: Dataset {
    public let name = "shapes"
    public let classNames = ["circle", "square", "triangle", "cross", "ring"]
    public let size: Int
    public let count: Int
    public let seed: UInt64
    public let noise: Double
    public var imageShape: [Int] { [3, size, size] }

    public init(size: Int = 32, count: Int = 1024, seed: UInt64 = 1, noise: Double = 0.1) throws {
        guard size >= 8 else { throw DescentError.argument("shapes", "size", "must be >= 8, got \(size)") }
        guard count >= 1 else { throw DescentError.argument("shapes", "count", "must be >= 1, got \(count)") }
        self.size = size
        self.count = count
        self.seed = seed
        self.noise = noise
    }

    public func sample(_ i: Int) throws -> Sample {
        var rng = RandomGenerator(seed: seed &* 0xD1B5_4A32_D192_ED03 &+ UInt64(i))
        let s = Double(size)
        var c = Canvas(height: size, width: size)
        let bg: [Float] = (0..<3).map { _ in Float(rng.uniform(0, 0.4)) }
        c.rect(0, 0, s, s, bg)
        let fg: [Float] = (0..<3).map { _ in Float(rng.uniform(0.6, 1)) }
        let label = rng.int(below: classNames.count)
        let r = s * rng.uniform(0.18, 0.35)
        let cx = rng.uniform(r, s - r), cy = rng.uniform(r, s - r)
        switch label {
        case 0: c.disc(cx, cy, r, fg)
        case 1: c.rect(cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85, fg)
        case 2: c.triangle([(cx, cy - r), (cx - r, cy + r * 0.8), (cx + r, cy + r * 0.8)], fg)
        case 3:
            c.rect(cx - r, cy - r * 0.3, cx + r, cy + r * 0.3, fg)
            c.rect(cx - r * 0.3, cy - r, cx + r * 0.3, cy + r, fg)
        default:
            c.disc(cx, cy, r, fg)
            c.disc(cx, cy, r * 0.55, bg)
        }
        c.noise(noise, &rng)
        return Sample(image: c.pixels, annotation: .label(label))
    }
}
