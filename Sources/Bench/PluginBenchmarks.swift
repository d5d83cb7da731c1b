import DescentCore
import DescentHost
import DescentPlugins

/// The plugin fast path: `lua_adam` (one fused `optim.kernel`) against native `adam`, on one
/// large parameter and inside the reference CNN's training step.
public enum PluginBenchmarks {
    public static func run(_ r: BenchmarkReport) throws {
        let registry = PluginRegistry.boot { print("bench: \($0)") }
        let vm = registry.vm
        defer { withExtendedLifetime(registry) {} }
        let step = try vm.run("""
            local n = 10000000
            local g = tensor.randn({n}, 2)
            local function median(name)
              local opt, p = optim.new(name, {lr = 1e-6}), tensor.randn({n}, 1)
              local ts = {}
              for i = 1, 9 do local t0 = clock(); opt:step(p, g); ts[i] = clock() - t0 end
              table.sort(ts)
              return ts[5]
            end
            local tn = median("adam")
            local tl = median("lua_adam")
            return tl / tn, tl, tn
            """, name: "=bench")
        r.add("plugins", "lua_adam (fused kernel) / native adam step, 10M params", step[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.5", (step[1].number ?? 0) * 1e3, (step[2].number ?? 0) * 1e3))

        let train = try vm.run(LuaBenchmarks.referenceStepSource + "\n" + """
            local tn = step_time("adam")
            local tl = step_time("lua_adam")
            return tl / tn, tl, tn
            """, name: "=bench")
        r.add("plugins", "reference CNN step with lua_adam / with native adam", train[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.05", (train[1].number ?? 0) * 1e3, (train[2].number ?? 0) * 1e3))
    }
}
