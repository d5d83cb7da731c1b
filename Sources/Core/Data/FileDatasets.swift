import Foundation

/// Datasets read from files: MNIST-format IDX, CIFAR-10 binary batches, and `.npy` pairs.
/// Pixel values are scaled to [0, 1]. A missing or malformed file is an error naming the path,
/// what was expected and what was found.
public enum FileDatasets {
    /// IDX images (magic 0x00000803, u8, [N, H, W]) and labels (0x00000801, u8, [N]).
    public static func idx(images: String, labels: String, name: String = "idx") throws -> ArrayDataset {
        let img = try AtomicFile.read(images), lab = try AtomicFile.read(labels)
        let imageDims = try idxHeader(img, path: images, magic: 0x0803, rank: 3)
        let labelDims = try idxHeader(lab, path: labels, magic: 0x0801, rank: 1)
        let (n, h, w) = (imageDims[0], imageDims[1], imageDims[2])
        guard labelDims[0] == n else {
            throw DescentError.file(labels, "\(n) labels expected (one per image in \(images)), found \(labelDims[0])")
        }
        let pixels = [UInt8](img), marks = [UInt8](lab)
        let samples = (0..<n).map { i in
            Sample(image: pixels[16 + i * h * w ..< 16 + (i + 1) * h * w].map { Float($0) / 255 }, annotation: .label(Int(marks[8 + i])))
        }
        let classes = (marks[8...].max().map { Int($0) } ?? 0) + 1
        return ArrayDataset(name: name, imageShape: [1, h, w], classNames: (0..<classes).map(String.init), samples: samples)
    }

    /// Checks an IDX header and returns its dimensions.
    static func idxHeader(_ data: Data, path: String, magic: UInt32, rank: Int) throws -> [Int] {
        let b = [UInt8](data)
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        let found = b.count >= 4 ? UInt32(be32(0)) : 0
        guard found == magic else {
            throw DescentError.file(path, String(format: "IDX magic 0x%08X (u8, rank %d) expected, found 0x%08X", magic, rank, found))
        }
        guard b.count >= 4 + 4 * rank else { throw DescentError.file(path, "IDX header of \(4 + 4 * rank) bytes expected, found a \(b.count)-byte file") }
        let dims = (0..<rank).map { be32(4 + 4 * $0) }
        guard let n = checkedProduct(dims), b.count == 4 + 4 * rank + n else {
            throw DescentError.file(path, "\(checkedProduct(dims).map { "\(4 + 4 * rank + $0) bytes" } ?? "more bytes than a file holds") expected for dimensions \(formatShape(dims)), found \(b.count)")
        }
        guard dims[0] >= 1 else { throw DescentError.file(path, "no items in the file") }
        return dims
    }

    /// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (3x32x32).
    public static func cifar10(_ paths: [String]) throws -> ArrayDataset {
        var samples: [Sample] = []
        for path in paths {
            let b = [UInt8](try AtomicFile.read(path))
            guard !b.isEmpty, b.count % 3073 == 0 else {
                throw DescentError.file(path, "CIFAR-10 binary batch of whole 3073-byte records expected, found \(b.count) bytes (\(b.count % 3073) left over)")
            }
            for r in 0..<(b.count / 3073) {
                let o = r * 3073
                guard b[o] < 10 else { throw DescentError.file(path, "label 0-9 expected in record \(r + 1), found \(b[o])") }
                samples.append(Sample(image: b[o + 1 ..< o + 3073].map { Float($0) / 255 }, annotation: .label(Int(b[o]))))
            }
        }
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        return ArrayDataset(name: "cifar10", imageShape: [3, 32, 32], classNames: names, samples: samples)
    }

    /// `.npy` images ([N, C, H, W] or [N, H, W]) with integer class labels ([N]).
    public static func npy(images: String, labels: String) throws -> ArrayDataset {
        let x = try NPY.load(images), y = try NPY.load(labels)
        guard x.rank == 4 || x.rank == 3, x.shape[0] >= 1 else {
            throw DescentError.file(images, "images of shape [N,C,H,W] or [N,H,W] with N >= 1 expected, found \(formatShape(x.shape))")
        }
        guard y.rank == 1, y.count == x.shape[0] else {
            throw DescentError.file(labels, "labels of shape [\(x.shape[0])] expected (one per image in \(images)), found \(formatShape(y.shape))")
        }
        let shape = x.rank == 4 ? Array(x.shape.dropFirst()) : [1] + x.shape.dropFirst()
        let per = shape.reduce(1, *)
        var samples: [Sample] = []
        for i in 0..<y.count {
            guard let label = y.data[i].exactInteger(in: 0...maximumClassIndex) else {
                throw DescentError.file(labels, "class labels 0...\(maximumClassIndex) expected, found \(y.data[i]) at \(i + 1)")
            }
            samples.append(Sample(image: Array(UnsafeBufferPointer(start: x.data + i * per, count: per)), annotation: .label(label)))
        }
        return ArrayDataset(name: "npy", imageShape: shape, labelled: samples)
    }
}
