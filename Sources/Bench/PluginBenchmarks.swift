import DescentCore
import DescentHost
import DescentPlugins

/// The plugin fast path: `lua_adam` (one fused `optim.kernel`) against native `adam`, on one
/// large parameter and inside the reference CNN's training step; Muon's step on the reference
/// CNN's parameters against AdamW's plus the time of Newton-Schulz's matrix products alone.
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

        let muon = try vm.run("""
            local model = nn.Sequential{
              nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.Conv2d{input=16, output=32, kernel=3, padding=1},
              nn.Conv2d{input=32, output=64, kernel=3, padding=1}, nn.Flatten(), nn.Linear{input=4096, output=128}, nn.Linear{input=128, output=10}}
            local params = model:parameters()
            local grads = {}
            for i, p in ipairs(params) do grads[i] = tensor.randn(p:shape(), i) end
            local muon, adamw = optim.new("muon", {lr = 1e-6}), optim.new("adamw", {lr = 1e-6})
            -- Newton-Schulz's products alone: five iterations on each matrix, wide side first.
            local function products()
              for _, p in ipairs(params) do
                local s = p:shape()
                if #s == 2 then
                  local x = s[1] > s[2] and p:t() or p
                  for _ = 1, 5 do local A = x:matmul(x:t()); local _ = A:matmul(A):matmul(x) end
                end
              end
            end
            local tm, ta = medians(11, 2, function() muon:step(params, grads) end, function() adamw:step(params, grads) end)
            local tg = medians(11, 2, products, products)
            return tm / (ta + tg), tm, ta, tg
            """, name: "=bench")
        r.add("plugins", "muon step / (adamw step + Newton-Schulz GEMMs), reference CNN params", muon[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f + %.2f ms, target <= 1.5", (muon[1].number ?? 0) * 1e3, (muon[2].number ?? 0) * 1e3, (muon[3].number ?? 0) * 1e3))

        try vm.run("native_step, plugin_step = make_step('adam', true), make_step('lua_adam', true)", name: "=bench")
        let t = try Measure.interleavedMedians(runs: 20, warmup: 3, [{ try vm.run("native_step()", name: "=bench") }, { try vm.run("plugin_step()", name: "=bench") }])
        r.add("plugins", "reference CNN step with lua_adam / with native adam", t[1] / t[0], "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.05", t[1] * 1e3, t[0] * 1e3))
    }
}
