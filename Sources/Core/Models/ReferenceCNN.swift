/// The reference CNN every benchmark uses (keep it exactly): input 32x3x64x64;
/// Conv 3->16 3x3 pad 1, ReLU, MaxPool 2; Conv 16->32 3x3 pad 1, ReLU, MaxPool 2;
/// Conv 32->64 3x3 pad 1, ReLU, MaxPool 2; Flatten (4096); Linear 4096->128, ReLU;
/// Linear 128->10; softmax cross-entropy; Adam lr 1e-3.
public enum ReferenceCNN {
    public static let inputShape = [32, 3, 64, 64]
    public static let classes = 10

    /// The model for `size`x`size` inputs (64 for the reference; smaller for tests).
    public static func make(size: Int = 64, seed: UInt64 = 0) throws -> Sequential {
        var rng = RandomGenerator(seed: seed)
        let flat = 64 * (size / 8) * (size / 8)
        return Sequential([
            try Conv2d(input: 3, output: 16, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
            try Conv2d(input: 16, output: 32, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
            try Conv2d(input: 32, output: 64, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), try MaxPool2d(kernel: (2, 2)),
            Flatten(),
            try Linear(input: flat, output: 128, rng: &rng), ReLU(),
            try Linear(input: 128, output: classes, rng: &rng),
        ])
    }

    /// A fixed random batch (inputs N(0,1), labels uniform over the classes).
    public static func batch(size: Int = 64, batch: Int = 32, seed: UInt64 = 1) throws -> (input: Tensor, target: Tensor) {
        var rng = RandomGenerator(seed: seed)
        let x = try Tensor.randn([batch, 3, size, size], rng: &rng)
        let y = Tensor(zeros: [batch])
        for i in 0..<batch { y.data[i] = Float(rng.int(below: classes)) }
        return (x, y)
    }

    /// FLOPs of one training step (forward + backward, the first conv's input gradient skipped).
    public static var trainingFLOPs: Double {
        let convs: [(cin: Int, cout: Int, hw: Int)] = [(3, 16, 64), (16, 32, 32), (32, 64, 16)]
        var f = 0.0
        for (i, c) in convs.enumerated() {
            let fwd = 2.0 * 32 * Double(c.hw * c.hw * c.cout * c.cin * 9)
            f += fwd * (i == 0 ? 2 : 3)
        }
        f += 2.0 * 32 * 4096 * 128 * 3 + 2.0 * 32 * 128 * 10 * 3
        return f
    }
}
