import DescentCore
import Foundation

/// The Core figures of `descent bench`: SGEMM baseline, conv layers, the reference CNN's
/// training step, and native optimizer bandwidth against a STREAM-like triad.
public enum CoreBenchmarks {
    public static func sgemm(_ r: BenchmarkReport, threads: Int) {
        let n = 1024
        let a = try! Tensor.randn([n, n], seed: 1), b = try! Tensor.randn([n, n], seed: 2), c = Tensor(zeros: [n, n])
        let cap = Parallel.threads
        Parallel.setThreads(threads)
        defer { Parallel.setThreads(cap) }
        let t = Measure.median(runs: 5) {
            gemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1, a: a.data, lda: n, b: b.data, ldb: n, beta: 0, c: c.data, ldc: n)
        }
        r.add("sgemm", "oneDNN sgemm 1024^3 (\(threads) thread\(threads == 1 ? "" : "s"))", 2 * pow(Double(n), 3) / t / 1e9, "GFLOP/s",
              "")
    }

    public static func convLayers(_ r: BenchmarkReport) throws {
        for oneDNN in [true, false] {
            var rng = RandomGenerator(seed: 3)
            for (cin, cout, hw) in [(3, 16, 64), (16, 32, 32), (32, 64, 16)] {
                let conv = try Conv2d(input: cin, output: cout, kernel: (3, 3), padding: (1, 1), rng: &rng)
                conv.usesOneDNN = oneDNN
                let x = try Tensor.randn([32, cin, hw, hw], seed: 4)
                let flops = 2.0 * 32 * Double(hw * hw * cout * cin * 9)
                let y = try conv.forward(x)
                let tf = try Measure.median(runs: 10) { _ = try conv.forward(x) }
                conv.needsInputGradient = cin != 3
                let tb = try Measure.median(runs: 10) { _ = try conv.backward(x, y) }
                let name = "conv \(cin)->\(cout) 3x3 on 32x\(cin)x\(hw)x\(hw)"
                r.add("conv", name + " forward", flops / tf / 1e9, "GFLOP/s", String(format: "%.2f ms, %@", tf * 1e3, conv.backend))
                r.add("conv", name + " backward", flops * (cin == 3 ? 1 : 2) / tb / 1e9, "GFLOP/s",
                      String(format: "%.2f ms%@", tb * 1e3, cin == 3 ? " (no input gradient)" : ""))
            }
        }
    }

    /// One training step of the reference CNN with native Adam, per call.
    public static func referenceStepper() throws -> () throws -> Void {
        let model = try ReferenceCNN.make()
        let trainer = Trainer(model: model, criterion: CrossEntropy(), optimizer: try Adam())
        let (x, y) = try ReferenceCNN.batch()
        return { _ = try trainer.trainStep(input: x, target: y) }
    }

    public static func training(_ r: BenchmarkReport, threads: Int) throws {
        let step = try referenceStepper()
        for _ in 0..<60 { try step() }
        let faults = Measure.minorFaults(), cpu = Measure.cpuSeconds()
        let t = try Measure.median(runs: 20, warmup: 0, step)
        let perStep = Double(Measure.minorFaults() - faults) / 20, cpuPerStep = (Measure.cpuSeconds() - cpu) / 20
        r.add("train", "reference CNN step, Adam (\(threads) thread\(threads == 1 ? "" : "s"))", t * 1e3, "ms",
              String(format: "%.1f steps/s, %.1f GFLOP/s, %.1f ms CPU/step, %.1f page faults/step", 1 / t, ReferenceCNN.trainingFLOPs / t / 1e9,
                     cpuPerStep * 1e3, perStep))
    }

    /// STREAM triad a = b + s*c over `n` floats: 12 bytes per element.
    public static func triad(_ n: Int) -> Double {
        let a = Tensor(zeros: [n]), b = try! Tensor.randn([n], seed: 1), c = try! Tensor.randn([n], seed: 2)
        let pa = a.data, pb = b.data, pc = c.data
        let t = Measure.median(runs: 10) {
            Parallel.forRanges(n) { rg in for i in rg { pa[i] = pb[i] + 3 * pc[i] } }
        }
        return 12 * Double(n) / t / 1e9
    }

    public static func optimizers(_ r: BenchmarkReport) throws {
        let n = 10_000_000
        let bw = triad(n)
        r.add("optim", "STREAM-like triad, 10M floats", bw, "GB/s", "a = b + s*c, 12 B/element")
        let p = try Tensor.randn([n], seed: 5), g = try Tensor.randn([n], seed: 6)
        // Bytes each update moves per parameter: reads and writes of p and state, read of g.
        for (name, bytes) in [("sgd", 12.0), ("momentum", 20.0), ("rmsprop", 20.0), ("adam", 28.0)] {
            let opt = try NativeOptimizers.make(name, [("lr", .number(1e-6))])
            let t = try Measure.median(runs: 10) { try opt.step([p], [g]) }
            r.add("optim", "\(name) step, 10M parameters", bytes * Double(n) / t / 1e9, "GB/s",
                  String(format: "%.2f ms, %.0f%% of triad", t * 1e3, 100 * bytes * Double(n) / t / 1e9 / bw))
        }
    }
}
