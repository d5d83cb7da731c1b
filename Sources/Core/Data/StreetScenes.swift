import Foundation
/// `street_scenes`: synthetic detection images of cars and pedestrians for the optimizer studies.
///
/// Each image: a sky gradient above a horizon, a road below, with noise; 0-6 objects, roughly 3
/// cars to 2 pedestrians, standing on the road (partial overlap allowed). Cars are wide boxes of
/// varied colour with a darker window band and two dark wheels; pedestrians are tall thin figures
/// (head, torso, legs) in darker clothes. Boxes are in pixels, class 0 car, 1 pedestrian.
/// Sample i is generated from (seed, i) alone, so splits from different seeds are disjoint.
public final class StreetScenes: Dataset {
    public let name = "street_scenes"
    public let classNames = ["car", "pedestrian"]
    public let size: Int
    public let count: Int
    public let seed: UInt64
    public var imageShape: [Int] { [3, size, size] }

    /// Rendered samples, kept when all of them fit in `cacheLimit` bytes: rendering (a Gaussian
    /// draw per pixel) was a third of a study's training step, and a run draws each sample many
    /// times (1500 steps of 16 from 1024 images). The cache changes no number: sample i is a
    /// function of (seed, i).
    private var cache: [Sample?]
    private let caches: Bool
    private let cacheLock = NSLock()
    static let cacheLimit = 512 << 20

    public init(size: Int = 64, count: Int = 512, seed: UInt64 = 1) throws {
        guard size >= 32 else { throw DescentError.argument("street_scenes", "size", "must be >= 32, got \(size)") }
        guard count >= 1 else { throw DescentError.argument("street_scenes", "count", "must be >= 1, got \(count)") }
        self.size = size
        self.count = count
        self.seed = seed
        let bytes = checkedProduct([count, 3, size, size, MemoryLayout<Float>.size]) ?? .max
        caches = bytes <= Self.cacheLimit
        cache = caches ? [Sample?](repeating: nil, count: count) : []
    }

    public func sample(_ i: Int) throws -> Sample {
        guard caches, i >= 0, i < count else { return render(i).sample }
        if let s = cacheLock.withLock({ cache[i] }) { return s }
        let s = render(i).sample
        cacheLock.withLock { cache[i] = s }
        return s
    }

    /// Sample i, and its background before objects and noise (the tests check boxes against it).
    func render(_ i: Int) -> (sample: Sample, background: [Float], objects: [Float]) {
        var rng = RandomGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i))
        let s = Double(size)
        var canvas = Canvas(height: size, width: size)
        let horizon = s * rng.uniform(0.3, 0.5)
        let sky: [Float] = [Float(rng.uniform(0.3, 0.6)), Float(rng.uniform(0.5, 0.8)), Float(rng.uniform(0.7, 1.0))]
        let road = Float(rng.uniform(0.2, 0.45))
        for y in 0..<size {
            let t = Float(Double(y) / s)
            let color: [Float] = Double(y) < horizon ? sky.map { $0 * (1 - 0.3 * t) } : [road, road, road * 1.05]
            for x in 0..<size { canvas.set(x, y, color) }
        }
        // Lane markings.
        canvas.rect(0, s * 0.8, s, s * 0.8 + max(1, s / 64), [0.9, 0.9, 0.8])

        let background = canvas.pixels
        var boxes: [Box] = []
        let n = rng.int(below: 7)
        for _ in 0..<n {
            let isCar = rng.uniform() < 0.6
            let scale = rng.uniform(0.6, 1.2) * s / 64
            let (w, h) = isCar ? (rng.uniform(16, 26) * scale, rng.uniform(8, 13) * scale) : (rng.uniform(4, 7) * scale, rng.uniform(14, 22) * scale)
            let bottom = rng.uniform(horizon + h * 0.5, s - 1)
            let x1 = rng.uniform(0, s - w), y1 = max(0, bottom - h)
            let box = Box(x1: x1, y1: y1, x2: x1 + w, y2: min(s, y1 + h), label: isCar ? 0 : 1)
            // Partial overlap is allowed, near-duplicates are not.
            if boxes.contains(where: { $0.iou(box) > 0.4 }) { continue }
            if isCar { drawCar(&canvas, box, &rng) } else { drawPedestrian(&canvas, box, &rng) }
            boxes.append(box)
        }
        let objects = canvas.pixels
        canvas.noise(0.04, &rng)
        return (Sample(image: canvas.pixels, annotation: .boxes(boxes)), background, objects)
    }

    private func drawCar(_ c: inout Canvas, _ b: Box, _ rng: inout RandomGenerator) {
        let body: [Float] = [Float(rng.uniform(0.1, 1)), Float(rng.uniform(0, 0.6)), Float(rng.uniform(0, 0.6))]
        let wheel = b.height * 0.3
        c.rect(b.x1, b.y1 + b.height * 0.35, b.x2, b.y2 - wheel * 0.6, body)
        c.rect(b.x1 + b.width * 0.2, b.y1, b.x2 - b.width * 0.2, b.y1 + b.height * 0.4, body)
        c.rect(b.x1 + b.width * 0.27, b.y1 + b.height * 0.08, b.x2 - b.width * 0.27, b.y1 + b.height * 0.35, [0.15, 0.2, 0.3])
        c.disc(b.x1 + b.width * 0.22, b.y2 - wheel, wheel, [0.05, 0.05, 0.05])
        c.disc(b.x2 - b.width * 0.22, b.y2 - wheel, wheel, [0.05, 0.05, 0.05])
    }

    private func drawPedestrian(_ c: inout Canvas, _ b: Box, _ rng: inout RandomGenerator) {
        let skin: [Float] = [Float(rng.uniform(0.5, 0.95)), Float(rng.uniform(0.35, 0.75)), Float(rng.uniform(0.25, 0.6))]
        let shirt: [Float] = [Float(rng.uniform(0, 0.5)), Float(rng.uniform(0, 0.5)), Float(rng.uniform(0, 0.7))]
        let legs: [Float] = [0.1, 0.1, Float(rng.uniform(0.1, 0.4))]
        let head = b.width * 0.45
        c.disc((b.x1 + b.x2) / 2, b.y1 + head, head, skin)
        c.rect(b.x1, b.y1 + head * 2, b.x2, b.y1 + b.height * 0.6, shirt)
        c.rect(b.x1 + b.width * 0.1, b.y1 + b.height * 0.6, b.x1 + b.width * 0.45, b.y2, legs)
        c.rect(b.x2 - b.width * 0.45, b.y1 + b.height * 0.6, b.x2 - b.width * 0.1, b.y2, legs)
    }
}
