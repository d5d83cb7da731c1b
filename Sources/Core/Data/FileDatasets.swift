import Foundation

/// Datasets read from files as people have them on disk: MNIST-format IDX (plain or gzip),
/// MNIST-layout directories (Fashion-MNIST, MNIST), CIFAR-10 binary batches, `.npy` pairs and
/// `.npz` archives (Keras' `mnist.npz`). Byte pixels are scaled to [0, 1]. A missing or
/// malformed file is an error naming the path, what was expected, what was found and, for a
/// format Descent does not read, how to convert it.
public enum FileDatasets {
    /// IDX images (magic 0x00000803, u8, [N, H, W]) and labels (0x00000801, u8, [N]), each
    /// plain or gzip-compressed; the first `limit` items when given.
    public static func idx(images: String, labels: String, name: String = "idx", classNames: [String]? = nil, limit: Int? = nil) throws -> ArrayDataset {
        let img = try Inflate.readMaybeGzip(images), lab = try Inflate.readMaybeGzip(labels)
        let imageDims = try idxHeader(img, path: images, magic: 0x0803, rank: 3)
        let labelDims = try idxHeader(lab, path: labels, magic: 0x0801, rank: 1)
        let (h, w) = (imageDims[1], imageDims[2])
        guard labelDims[0] == imageDims[0] else {
            throw DescentError.file(labels, "\(imageDims[0]) labels expected (one per image in \(images)), found \(labelDims[0])")
        }
        let n = min(imageDims[0], limit ?? .max)
        let samples: [Sample] = img.withUnsafeBytes { raw in
            let pixels = raw.bindMemory(to: UInt8.self)
            return (0..<n).map { i in
                let image = (0..<h * w).map { Float(pixels[16 + i * h * w + $0]) / 255 }
                return Sample(image: image, annotation: .label(Int(lab[lab.startIndex + 8 + i])))
            }
        }
        let largest = lab[(lab.startIndex + 8)...].max().map { Int($0) } ?? 0
        if let classNames, largest >= classNames.count {
            throw DescentError.file(labels, "labels 0...\(classNames.count - 1) expected for \(name), found \(largest)")
        }
        return ArrayDataset(name: name, imageShape: [1, h, w], classNames: classNames ?? (0...largest).map(String.init), samples: samples)
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

    /// A directory in MNIST's layout: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each possibly with `.gz`. The 10k
    /// test images are the validation split.
    public static func mnistLayout(_ dir: String, name: String, classNames: [String]?, train: Int?, val: Int?) throws -> (ArrayDataset, ArrayDataset) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DescentError.file(dir, "no such directory (\(name) expects train-images-idx3-ubyte[.gz] and the three other MNIST files in it)")
        }
        func file(_ stem: String) throws -> String {
            for candidate in [stem, stem + ".gz"] where FileManager.default.fileExists(atPath: dir + "/" + candidate) { return dir + "/" + candidate }
            throw DescentError.file(dir + "/" + stem, "missing (neither it nor \(stem).gz is in \(dir))")
        }
        return (try idx(images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"), name: name, classNames: classNames, limit: train),
                try idx(images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"), name: name, classNames: classNames, limit: val))
    }

    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (3x32x32).
    public static func cifar10(_ paths: [String]) throws -> ArrayDataset {
        var samples: [Sample] = []
        for path in paths {
            let b = [UInt8](try AtomicFile.read(path))
            if let hint = cifarFormatHint(b, path: path) { throw DescentError.file(path, hint) }
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

    /// What a file given as a CIFAR-10 binary batch is instead, and how to get the binary one.
    static func cifarFormatHint(_ b: [UInt8], path: String) -> String? {
        if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) {
            return "a Python pickle (CIFAR-10's Python version, cifar-10-batches-py); Descent reads the binary version: "
                + "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and name its data_batch_*.bin files, "
                + "or convert: python3 -c \"import pickle,numpy as np; d=pickle.load(open('data_batch_1','rb'),encoding='bytes'); "
                + "np.save('x.npy', d[b'data'].reshape(-1,3,32,32)); np.save('y.npy', np.array(d[b'labels']))\" and use the npy dataset"
        }
        if b.count >= 2, b[0] == 0x1F, b[1] == 0x8B {
            return "a gzip file (the cifar-10-binary.tar.gz archive?); extract it (tar xzf) and name the data_batch_*.bin files"
        }
        return nil
    }

    /// `.npy` images and integer class labels.
    public static func npy(images: String, labels: String, layout: String = "auto") throws -> ArrayDataset {
        let x = try NPY.loadTyped(images), y = try NPY.loadTyped(labels)
        return try labelled(x, images: images, y.tensor, labels: labels, layout: layout, name: "npy")
    }

    /// An `.npz` archive holding the arrays `keys` = (train images, train labels, val images,
    /// val labels); Keras' `mnist.npz` holds `x_train`, `y_train`, `x_test`, `y_test`.
    public static func npz(_ path: String, keys: [String], layout: String = "auto") throws -> (ArrayDataset, ArrayDataset) {
        let arrays = try NPZ.load(path)
        func array(_ k: String) throws -> (tensor: Tensor, dtype: String) {
            guard let a = arrays[k] else {
                throw DescentError.file(path, "no array '\(k)' (the archive holds \(arrays.keys.sorted().joined(separator: ", "))); name the arrays with dataset_args images, labels, val_images, val_labels")
            }
            return a
        }
        let name = "\(path) (\(keys[0]))"
        return (try labelled(try array(keys[0]), images: name, try array(keys[1]).tensor, labels: "\(path) (\(keys[1]))", layout: layout, name: "npz"),
                try labelled(try array(keys[2]), images: "\(path) (\(keys[2]))", try array(keys[3]).tensor, labels: "\(path) (\(keys[3]))", layout: layout, name: "npz"))
    }

    /// Images [N, H, W], [N, C, H, W] or [N, H, W, C] (`layout`: "nchw", "nhwc", or "auto":
    /// the side of at most 4 values holds the channels) with labels [N]. Byte images (uint8)
    /// are scaled to [0, 1], as IDX and CIFAR-10 are; other types are used as stored.
    static func labelled(_ x: (tensor: Tensor, dtype: String), images: String, _ y: Tensor, labels: String, layout: String, name: String) throws -> ArrayDataset {
        let t = x.tensor
        guard t.rank == 4 || t.rank == 3, t.shape[0] >= 1 else {
            throw DescentError.file(images, "images of shape [N,H,W], [N,C,H,W] or [N,H,W,C] with N >= 1 expected, found \(formatShape(t.shape))")
        }
        guard y.rank == 1, y.count == t.shape[0] else {
            throw DescentError.file(labels, "labels of shape [\(t.shape[0])] expected (one per image in \(images)), found \(formatShape(y.shape))")
        }
        var channelsLast = false
        if t.rank == 4 {
            // Channels are 1, 3 or 4 (grey, RGB, RGBA); where both sides could be, the side that
            // leaves square images wins ([N, 1, 4, 4] is four by four).
            let s = t.shape, channels: Set<Int> = [1, 3, 4]
            var first = channels.contains(s[1]), last = channels.contains(s[3])
            if first && last { (first, last) = (s[2] == s[3], s[1] == s[2]) }
            switch layout {
            case "nchw": channelsLast = false
            case "nhwc": channelsLast = true
            case "auto":
                guard first != last else {
                    throw DescentError.file(images, "images of shape \(formatShape(t.shape)): cannot tell channels-first (NCHW) from channels-last (NHWC); set dataset_args.layout = \"nchw\" or \"nhwc\"")
                }
                channelsLast = last
            default: throw DescentError("dataset '\(name)'", "layout must be \"auto\", \"nchw\" or \"nhwc\", got \"\(layout)\"")
            }
        }
        let (c, h, w) = t.rank == 3 ? (1, t.shape[1], t.shape[2]) : channelsLast ? (t.shape[3], t.shape[1], t.shape[2]) : (t.shape[1], t.shape[2], t.shape[3])
        let per = c * h * w, scale: Float = x.dtype == "u1" ? 1 / 255 : 1
        var samples: [Sample] = []
        samples.reserveCapacity(y.count)
        for i in 0..<y.count {
            guard let label = y.data[i].exactInteger(in: 0...maximumClassIndex) else {
                throw DescentError.file(labels, "class labels 0...\(maximumClassIndex) expected, found \(y.data[i]) at \(i + 1)")
            }
            let src = t.data + i * per
            var image = [Float](repeating: 0, count: per)
            for ch in 0..<c {
                for p in 0..<h * w { image[ch * h * w + p] = (channelsLast ? src[p * c + ch] : src[ch * h * w + p]) * scale }
            }
            samples.append(Sample(image: image, annotation: .label(label)))
        }
        return ArrayDataset(name: name, imageShape: [c, h, w], labelled: samples)
    }
}
