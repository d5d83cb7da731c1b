import Foundation

/// The models experiments refer to by name: `cnn`, a small classifier, and `detector`, a small
/// single-shot detector. Both are built from Core layers with seeded initialisation.
public enum ModelZoo {
    /// `cnn`: `depth` blocks of Conv3x3-BN-ReLU-MaxPool2 doubling channels from `width`, then
    /// global average pooling and a linear classifier.
    public static func cnn(inputShape: [Int], classes: Int, width: Int = 16, depth: Int = 3, seed: UInt64) throws -> Sequential {
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        guard width >= 1, depth >= 1 else { throw DescentError.argument("cnn", "width/depth", "must be >= 1, got \(width)/\(depth)") }
        guard h >> depth >= 1, w >> depth >= 1 else {
            throw DescentError.argument("cnn", "input size", "\(h)x\(w) is too small for depth \(depth) (each block halves it)")
        }
        var rng = RandomGenerator(seed: seed)
        var layers: [Module] = []
        var channels = c
        for d in 0..<depth {
            let out = width << d
            layers += [try Conv2d(input: channels, output: out, kernel: (3, 3), padding: (1, 1), bias: false, rng: &rng),
                       try BatchNorm2d(channels: out), ReLU(), try MaxPool2d(kernel: (2, 2))]
            channels = out
        }
        layers += [GlobalAvgPool(), try Linear(input: channels, output: classes, rng: &rng)]
        return Sequential(layers)
    }

    /// `detector`: stride-2 Conv3x3-BN-SiLU stages (width, 2*width, 4*width) to a grid of
    /// size/8, `depth` more Conv3x3-BN-SiLU at that resolution, and a 1x1 head predicting
    /// `grid.outputChannels` values per cell. Class biases start at the focal-loss prior
    /// -log((1 - 0.01) / 0.01), so early training is not swamped by the background.
    public static func detector(grid: DetectionGrid, channels: Int = 3, width: Int = 16, depth: Int = 1, seed: UInt64) throws -> Sequential {
        guard width >= 1, depth >= 0 else { throw DescentError.argument("detector", "width/depth", "must be >= 1 / >= 0, got \(width)/\(depth)") }
        var rng = RandomGenerator(seed: seed)
        var layers: [Module] = []
        var cin = channels
        for out in [width, 2 * width, 4 * width] {
            layers += [try Conv2d(input: cin, output: out, kernel: (3, 3), stride: (2, 2), padding: (1, 1), bias: false, rng: &rng),
                       try BatchNorm2d(channels: out), SiLU()]
            cin = out
        }
        for _ in 0..<depth {
            layers += [try Conv2d(input: cin, output: cin, kernel: (3, 3), padding: (1, 1), bias: false, rng: &rng), try BatchNorm2d(channels: cin), SiLU()]
        }
        let head = try Conv2d(input: cin, output: grid.outputChannels, kernel: (1, 1), rng: &rng)
        if let bias = head.bias {
            for c in 0..<grid.classes { bias.data[c] = Float(-Foundation.log((1 - 0.01) / 0.01)) }
        }
        layers.append(head)
        return Sequential(layers)
    }
}
