import DescentCore
import DescentHost
import Foundation

/// Scripting overhead: a tensor method call from Lua, the reference CNN step driven from a Lua
/// loop against the Swift loop, and Adam written with Lua tensor ops against native Adam.
public enum LuaBenchmarks {
    /// Defines the globals `make_step(optimizer, skip_input_gradient)` (the reference CNN's
    /// training step from Lua: `bench/reference_step.lua`) and `medians(runs, warmup, f, g)`.
    static func prepare(_ vm: LuaVM) throws {
        for (path, source) in embeddedLua {
            vm.setGlobal("chunk_source", .string(source))
            let global = path.hasSuffix("reference_step.lua") ? "make_step = " : ""
            try vm.run("\(global)load(chunk_source, '=\((path as NSString).lastPathComponent)')()", name: "=bench")
        }
        vm.setGlobal("chunk_source", .nil)
    }

    public static func run(_ r: BenchmarkReport) throws {
        let vm = try LuaVM.scripting()
        let calls = 1_000_000
        let ns = try vm.run("""
            local t, u = tensor.zeros{1}, tensor.ones{1}
            local n = \(calls)
            local t0 = clock()
            for _ = 1, n do t:add_(u) end
            local with = clock() - t0
            t0 = clock()
            for _ = 1, n do local _ = t end
            return (with - (clock() - t0)) / n * 1e9
            """, name: "=bench")[0].number ?? .nan
        r.add("lua", "t:add_(u) on a 1-element tensor", ns, "ns/call", "target < 300")

        try prepare(vm)
        try vm.run("lua_step = make_step('adam', true)", name: "=bench")
        let times = try Measure.interleavedMedians(runs: 20, warmup: 3, [try CoreBenchmarks.referenceStepper(), { try vm.run("lua_step()", name: "=bench") }])
        let (swiftStep, luaStep) = (times[0], times[1])
        r.add("lua", "reference CNN step from a Lua loop / Swift loop", luaStep / swiftStep, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.05", luaStep * 1e3, swiftStep * 1e3))

        let ratio = try vm.run("""
            local n = 10000000
            local p, q, g = tensor.randn({n}, 1), tensor.randn({n}, 1), tensor.randn({n}, 2)
            local m, v = p:zeros_like(), p:zeros_like()
            local lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 0
            local function lua_adam()
              t = t + 1
              m:mul_(b1):add_(g, 1 - b1)
              v:mul_(b2):addcmul_(g, g, 1 - b2)
              local denom = (v / (1 - b2 ^ t)):sqrt_():add_(eps)
              p:addcdiv_(m, denom, -lr / (1 - b1 ^ t))
            end
            local opt = optim.new("adam")
            local tl, tn = medians(9, 2, lua_adam, function() opt:step(q, g) end)
            return tl / tn, tl, tn
            """, name: "=bench")
        r.add("lua", "Adam in Lua tensor ops / native adam, 10M params", ratio[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 4", (ratio[1].number ?? 0) * 1e3, (ratio[2].number ?? 0) * 1e3))
    }
}
