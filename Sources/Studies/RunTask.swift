import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// What a run trains on and how it is scored, built from its `RunSpec`: datasets, model, loss,
/// and evaluation (mAP@0.5 for the detector, accuracy for classifiers).
final class RunTask {
    enum Kind { case classification, detection(DetectionGrid) }

    let train: Dataset
    let val: Dataset
    let model: Module
    let criterion: Criterion
    let kind: Kind
    var metricName: String { if case .detection = kind { return "mAP@0.5" } else { return "accuracy" } }

    init(_ spec: RunSpec, registry: PluginRegistry) throws {
        (train, val) = try Self.datasets(spec, registry: registry)
        let shape = train.imageShape
        let detection: Bool
        if case .boxes = try train.sample(0).annotation { detection = true } else { detection = false }
        func arg(_ k: String, _ d: Int) -> Int { spec.modelArgs[k].map { Int($0) } ?? d }
        if ["cnn", "detector"].contains(spec.model) {
            for k in spec.modelArgs.keys where !["width", "depth"].contains(k) {
                throw DescentError("model '\(spec.model)'", "unknown argument '\(k)' (known: depth, width)")
            }
        }
        switch spec.model {
        case "detector":
            guard detection else { throw DescentError("model 'detector'", "needs a detection dataset (boxes); '\(spec.dataset)' gives class labels") }
            guard shape[1] == shape[2] else { throw DescentError("model 'detector'", "square images expected, got \(shape[1])x\(shape[2])") }
            let grid = try DetectionGrid(classes: train.classNames.count, imageSize: shape[1])
            model = try ModelZoo.detector(grid: grid, channels: shape[0], width: arg("width", 16), depth: arg("depth", 1), seed: UInt64(spec.seed))
            criterion = try DetectionLoss(grid: grid)
            kind = .detection(grid)
        case "cnn":
            guard !detection else { throw DescentError("model 'cnn'", "needs a classification dataset; '\(spec.dataset)' gives boxes") }
            model = try ModelZoo.cnn(inputShape: shape, classes: train.classNames.count, width: arg("width", 16), depth: arg("depth", 3), seed: UInt64(spec.seed))
            criterion = CrossEntropy()
            kind = .classification
        default:
            guard !detection || registry.plugin(.model, spec.model) == nil else {
                throw DescentError("model '\(spec.model)'", "Lua models are classifiers; '\(spec.dataset)' gives boxes")
            }
            model = try registry.makeModel(spec.model, args: spec.modelArgs.mapValues { .number($0) }, input: shape, classes: train.classNames.count)
            criterion = CrossEntropy()
            kind = .classification
        }
    }

    /// Train and validation sets; synthetic ones from disjoint seeds.
    static func datasets(_ spec: RunSpec, registry: PluginRegistry) throws -> (Dataset, Dataset) {
        let a = spec.datasetArgs
        func int(_ k: String, _ d: Int) throws -> Int {
            guard let v = a[k] else { return d }
            guard let n = v.number, n >= 1, n == n.rounded() else { throw DescentError("dataset '\(spec.dataset)'", "\(k) must be a positive integer, got \(v)") }
            return Int(n)
        }
        func path(_ k: String) throws -> String {
            guard case .string(let p)? = a[k] else { throw DescentError("dataset '\(spec.dataset)'", "'\(k)' (a file path) is required") }
            return p
        }
        func known(_ keys: [String]) throws {
            for k in a.keys where !keys.contains(k) {
                throw DescentError("dataset '\(spec.dataset)'", "unknown argument '\(k)' (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        let trainSeed = UInt64(spec.seed), valSeed = UInt64(spec.seed) &+ 1_000_003
        switch spec.dataset {
        case "street_scenes":
            try known(["train", "val"])
            return (CachedDataset(try StreetScenes(size: spec.size, count: try int("train", 1024), seed: trainSeed)),
                    CachedDataset(try StreetScenes(size: spec.size, count: try int("val", 128), seed: valSeed)))
        case "shapes":
            try known(["train", "val"])
            return (CachedDataset(try Shapes(size: spec.size, count: try int("train", 2048), seed: trainSeed)),
                    CachedDataset(try Shapes(size: spec.size, count: try int("val", 256), seed: valSeed)))
        case "idx":
            try known(["images", "labels", "val_images", "val_labels"])
            return (try FileDatasets.idx(images: try path("images"), labels: try path("labels")),
                    try FileDatasets.idx(images: try path("val_images"), labels: try path("val_labels")))
        case "cifar10":
            try known(["files", "val_files"])
            func files(_ k: String) throws -> [String] {
                switch a[k] {
                case .string(let s)?: return [s]
                case .array(let l)?: return l.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                default: throw DescentError("dataset 'cifar10'", "'\(k)' (a path or a list of paths) is required")
                }
            }
            return (try FileDatasets.cifar10(try files("files")), try FileDatasets.cifar10(try files("val_files")))
        case "npy":
            try known(["images", "labels", "val_images", "val_labels"])
            return (try FileDatasets.npy(images: try path("images"), labels: try path("labels")),
                    try FileDatasets.npy(images: try path("val_images"), labels: try path("val_labels")))
        default:
            return (try registry.makeDataset(spec.dataset, args: a, split: "train"), try registry.makeDataset(spec.dataset, args: a, split: "val"))
        }
    }

    /// Stacks samples `indices` of `set` into an input tensor and the loss target.
    func batch(_ set: Dataset, _ indices: [Int], augment: Augmentation, rng: inout RandomGenerator) throws -> (input: Tensor, target: Tensor, boxes: [[Box]]) {
        let shape = set.imageShape, per = shape.reduce(1, *)
        let x = Tensor(uninitialized: [indices.count] + shape)
        var labels: [Float] = [], boxes: [[Box]] = []
        for (k, i) in indices.enumerated() {
            let s = augment.apply(try set.sample(i), shape: shape, &rng)
            guard s.image.count == per else { throw DescentError(set.name, "sample \(i) has \(s.image.count) values, \(per) expected") }
            s.image.withUnsafeBufferPointer { (x.data + k * per).update(from: $0.baseAddress!, count: per) }
            switch s.annotation {
            case .label(let l): labels.append(Float(l))
            case .boxes(let b): boxes.append(b)
            }
        }
        switch kind {
        case .classification: return (x, Tensor(labels), [])
        case .detection(let grid): return (x, grid.encode(boxes), boxes)
        }
    }

    /// The validation metric and loss, in evaluation mode; for the detector also AP per class.
    func evaluate(batchSize: Int) throws -> (metric: Double, loss: Double, perClass: [String: Double]) {
        model.evaluate()
        defer { model.train() }
        var rng = RandomGenerator(seed: 0)
        var loss = 0.0, correct = 0, detections: [[Detection]] = [], truth: [[Box]] = []
        for start in stride(from: 0, to: val.count, by: batchSize) {
            let idx = Array(start..<min(val.count, start + batchSize))
            let (x, y, boxes) = try batch(val, idx, augment: Augmentation(), rng: &rng)
            let out = try model.forward(x)
            loss += try criterion.forward(out, y) * Double(idx.count)
            switch kind {
            case .classification:
                let classes = out.shape[1]
                for r in 0..<idx.count {
                    let row = UnsafeBufferPointer(start: out.data + r * classes, count: classes)
                    if row.indices.max(by: { row[$0] < row[$1] }) == Int(y.data[r]) { correct += 1 }
                }
            case .detection(let grid):
                detections += grid.decode(out)
                truth += boxes
            }
        }
        let n = Double(max(1, val.count))
        switch kind {
        case .classification: return (Double(correct) / n, loss / n, [:])
        case .detection(let grid):
            let ap = MeanAveragePrecision.evaluate(detections: detections, truth: truth, classes: grid.classes)
            var perClass: [String: Double] = [:]
            for (c, v) in ap.perClass.enumerated() { if let v { perClass[val.classNames[c]] = v } }
            return (ap.mean, loss / n, perClass)
        }
    }
}
