import DescentCore
import DescentHost
import DescentPlugins
import Foundation

/// What a run trains on and how it is scored, built from its `RunSpec`: datasets, model, loss,
/// and evaluation (mAP@0.5 for the detector, accuracy for classifiers).
final class RunSetup {
    let train: Dataset
    let val: Dataset
    let model: Module
    let criterion: Criterion
    let kind: TrainingTask
    var metricName: String { kind.metricName }

    /// The run's datasets and model, built by their registry entries.
    init(_ spec: RunSpec, registry: PluginRegistry) throws {
        (train, val) = try registry.makeDataset(spec.dataset, DatasetRequest(args: spec.datasetArgs, size: spec.size, seed: UInt64(spec.seed)))
        // `size` is never recorded while ignored: a dataset whose files fix the size refuses another.
        let shape = train.imageShape
        if spec.sizeGiven, shape.count == 3, shape[1] != spec.size || shape[2] != spec.size {
            throw DescentError("dataset '\(spec.dataset)'", "size = \(spec.size), but its images are \(shape[1])x\(shape[2]) (its files fix the size); remove size from this run")
        }
        let detection: Bool
        if case .boxes = try train.sample(0).annotation { detection = true } else { detection = false }
        let built = try registry.makeModel(spec.model, ModelRequest(args: spec.modelArgs.mapValues { .number($0) }, input: train.imageShape,
                                                                    classes: train.classNames.count, detection: detection, seed: UInt64(spec.seed)))
        (model, criterion, kind) = (built.module, built.criterion, built.task)
        // Parameter groups match on these names (`0.weight`).
        model.labelParameters()
    }

    /// Stacks samples `indices` of `set` into an input tensor and the loss target.
    func batch(_ set: Dataset, _ indices: [Int], augment: Augmentation, rng: inout RandomGenerator) throws -> (input: Tensor, target: Tensor, boxes: [[Box]]) {
        let shape = set.imageShape, per = shape.reduce(1, *)
        try Tensor.checkShape([indices.count] + shape, "batch")
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
