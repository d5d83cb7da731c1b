/// Seeded data augmentation: horizontal flip, random crop/scale jitter (boxes follow), and
/// brightness/contrast. Each option is a probability or a range; all zero is the identity.
public struct Augmentation: Equatable {
    /// Probability of a horizontal flip.
    public var flip: Double = 0
    /// Maximum zoom: the crop side is uniform in [1 - jitter, 1] of the image, resized back.
    public var jitter: Double = 0
    /// Brightness shift uniform in [-brightness, brightness]; contrast factor in [1-c, 1+c].
    public var brightness: Double = 0
    public var contrast: Double = 0

    public init(flip: Double = 0, jitter: Double = 0, brightness: Double = 0, contrast: Double = 0) {
        (self.flip, self.jitter, self.brightness, self.contrast) = (flip, jitter, brightness, contrast)
    }

    /// The options by the names studies and configs use.
    public static let fields: [String: WritableKeyPath<Augmentation, Double>] =
        ["flip": \.flip, "jitter": \.jitter, "brightness": \.brightness, "contrast": \.contrast]

    public var isIdentity: Bool { flip == 0 && jitter == 0 && brightness == 0 && contrast == 0 }

    public func validate() throws {
        for (k, path) in Self.fields.sorted(by: { $0.key < $1.key }) where !(0...1).contains(self[keyPath: path]) {
            throw DescentError.argument("augment", k, "must be in [0, 1], got \(self[keyPath: path])")
        }
    }

    /// Applies to one sample of shape `shape` [C, H, W].
    public func apply(_ s: Sample, shape: [Int], _ rng: inout RandomGenerator) -> Sample {
        guard !isIdentity else { return s }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        var image = s.image, boxes: [Box]? = nil
        if case .boxes(let b) = s.annotation { boxes = b }
        if rng.uniform() < flip {
            for ch in 0..<c { for y in 0..<h { image[(ch * h + y) * w ..< (ch * h + y + 1) * w].reverse() } }
            boxes = boxes?.map { Box(x1: Double(w) - $0.x2, y1: $0.y1, x2: Double(w) - $0.x1, y2: $0.y2, label: $0.label) }
        }
        if jitter > 0 {
            // Crop a square-ish window and resize it back (nearest neighbour); boxes scale with it.
            let side = rng.uniform(1 - jitter, 1)
            let cw = Double(w) * side, chh = Double(h) * side
            let ox = rng.uniform(0, Double(w) - cw), oy = rng.uniform(0, Double(h) - chh)
            var out = image
            for ch in 0..<c {
                for y in 0..<h {
                    let sy = min(h - 1, Int(oy + (Double(y) + 0.5) * side))
                    for x in 0..<w {
                        let sx = min(w - 1, Int(ox + (Double(x) + 0.5) * side))
                        out[(ch * h + y) * w + x] = image[(ch * h + sy) * w + sx]
                    }
                }
            }
            image = out
            boxes = boxes?.compactMap { b in
                let nb = Box(x1: max(0, (b.x1 - ox) / side), y1: max(0, (b.y1 - oy) / side),
                             x2: min(Double(w), (b.x2 - ox) / side), y2: min(Double(h), (b.y2 - oy) / side), label: b.label)
                // Keep objects that stay mostly visible.
                return nb.area >= 0.4 * b.area / (side * side) && nb.width >= 2 && nb.height >= 2 ? nb : nil
            }
        }
        if brightness > 0 || contrast > 0 {
            let shift = Float(rng.uniform(-brightness, brightness)), factor = Float(rng.uniform(1 - contrast, 1 + contrast))
            let mean = image.reduce(0, +) / Float(max(1, image.count))
            for i in image.indices { image[i] = (image[i] - mean) * factor + mean + shift }
        }
        return Sample(image: image, annotation: boxes.map { .boxes($0) } ?? s.annotation)
    }
}
