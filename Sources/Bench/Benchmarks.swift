import DescentCore

/// The sections of `descent bench`, in order.
public enum Benchmarks {
    public static let sections = ["sgemm", "conv", "train", "optim", "lua", "plugins", "compose", "detector", "shared"]

    public static func run(_ r: BenchmarkReport, sections: [String]) throws {
        let threads = Parallel.threads
        for s in sections {
            switch s {
            case "sgemm":
                CoreBenchmarks.sgemm(r, threads: 1)
                if threads > 1 { CoreBenchmarks.sgemm(r, threads: threads) }
            case "conv": try CoreBenchmarks.convLayers(r)
            case "train": try CoreBenchmarks.training(r, threads: threads)
            case "optim": try CoreBenchmarks.optimizers(r)
            case "lua": try LuaBenchmarks.run(r)
            case "plugins": try PluginBenchmarks.run(r)
            case "compose": try CompositionBenchmarks.run(r)
            case "detector": try DetectorBenchmarks.run(r)
            case "shared": try SharedMachineBenchmarks.run(r)
            default: throw DescentError("bench", "unknown section '\(s)' (known: \(Benchmarks.sections.joined(separator: ", ")))")
            }
        }
    }
}
