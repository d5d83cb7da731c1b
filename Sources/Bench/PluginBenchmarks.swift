import DescentCore
import DescentHost
import DescentPlugins

/// The plugin fast path: `lua_adam` (one fused `optim.kernel`) against native `adam`, on one
/// large parameter and inside the reference CNN's training step.
public enum PluginBenchmarks {
    public static func run(_ r: BenchmarkReport) throws {
        let registry = try PluginRegistry.boot { print("bench: \($0)") }
        let vm = registry.vm
        defer { withExtendedLifetime(registry) {} }
        try LuaBenchmarks.prepare(vm)
        let step = try vm.run("""
            local n = 10000000
            local g, pn, pl = tensor.randn({n}, 2), tensor.randn({n}, 1), tensor.randn({n}, 1)
            local native, plugin = optim.new("adam", {lr = 1e-6}), optim.new("lua_adam", {lr = 1e-6})
            local tn, tl = medians(11, 2, function() native:step(pn, g) end, function() plugin:step(pl, g) end)
            return tl / tn, tl, tn
            """, name: "=bench")
        r.add("plugins", "lua_adam (fused kernel) / native adam step, 10M params", step[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.2", (step[1].number ?? 0) * 1e3, (step[2].number ?? 0) * 1e3))

        try vm.run("native_step, plugin_step = make_step('adam', true), make_step('lua_adam', true)", name: "=bench")
        let t = try Measure.interleavedMedians(runs: 20, warmup: 3, [{ try vm.run("native_step()", name: "=bench") }, { try vm.run("plugin_step()", name: "=bench") }])
        r.add("plugins", "reference CNN step with lua_adam / with native adam", t[1] / t[0], "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.05", t[1] * 1e3, t[0] * 1e3))
    }
}
