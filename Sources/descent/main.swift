import DescentBench
import DescentCore
import Foundation

// Temporary wiring until the command line lands.
let r = BenchmarkReport(live: true)
CoreBenchmarks.sgemm(r, threads: 1)
try CoreBenchmarks.convLayers(r)
try CoreBenchmarks.training(r, threads: Parallel.threads)
try CoreBenchmarks.optimizers(r)
