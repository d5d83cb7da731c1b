import DescentCore

/// The experiments' workhorse: the detector's training step at batch 16 on 64x64 street scenes
/// (the default of `compare_optimizers.lua`), data generation included.
public enum DetectorBenchmarks {
    public static func run(_ r: BenchmarkReport) throws {
        let data = try StreetScenes(size: 64, count: 256, seed: 1)
        let grid = try DetectionGrid(classes: 2, imageSize: 64)
        let model = try ModelZoo.detector(grid: grid, seed: 1)
        let trainer = Trainer(model: model, criterion: try DetectionLoss(grid: grid), optimizer: try Adam())
        var next = 0
        func batch() throws -> (Tensor, Tensor) {
            let x = Tensor(uninitialized: [16, 3, 64, 64])
            var boxes: [[Box]] = []
            for k in 0..<16 {
                let s = try data.sample((next + k) % data.count)
                s.image.withUnsafeBufferPointer { (x.data + k * 12288).update(from: $0.baseAddress!, count: 12288) }
                if case .boxes(let b) = s.annotation { boxes.append(b) }
            }
            next += 16
            return (x, grid.encode(boxes))
        }
        let fixed = try batch()
        let step = try Measure.median(runs: 20, warmup: 3) { try trainer.trainStep(input: fixed.0, target: fixed.1) }
        let withData = try Measure.median(runs: 20, warmup: 2) {
            let (x, y) = try batch()
            try trainer.trainStep(input: x, target: y)
        }
        r.add("detector", "detector step, batch 16, 64x64 (threads \(Parallel.threads))", 1 / step, "steps/s", String(format: "%.2f ms", step * 1e3))
        r.add("detector", "same, with street_scenes generation", 1 / withData, "steps/s", String(format: "%.2f ms", withData * 1e3))
    }
}
