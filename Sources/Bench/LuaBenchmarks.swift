import DescentCore
import DescentHost

/// Scripting overhead: a tensor method call from Lua, the reference CNN step driven from a Lua
/// loop against the Swift loop, and Adam written with Lua tensor ops against native Adam.
public enum LuaBenchmarks {
    /// Defines `step_time(optimizer)`: the median time of the reference CNN's training step
    /// (see `ReferenceCNN`) driven from a Lua loop with the named optimizer.
    static let referenceStepSource = """
        local function step_time(name)
          local model = nn.Sequential{
            nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
            nn.Conv2d{input=16, output=32, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
            nn.Conv2d{input=32, output=64, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
            nn.Flatten(), nn.Linear{input=4096, output=128}, nn.ReLU(), nn.Linear{input=128, output=10}}
          model.needs_input_gradient = false   -- as the Swift trainer: the data needs no gradient
          local loss, opt = nn.CrossEntropy(), optim.new(name)
          local x, y = tensor.randn({32, 3, 64, 64}, 1), tensor.zeros{32}
          local params, grads = model:parameters()
          local times = {}
          for i = 1, 23 do
            local t0 = clock()
            model:zero_grad()
            local out = model:forward(x)
            loss:forward(out, y)
            model:backward(x, loss:backward(out, y))
            opt:step(params, grads)
            if i > 3 then times[#times + 1] = clock() - t0 end
          end
          table.sort(times)
          return times[#times // 2 + 1]
        end
        """

    public static func run(_ r: BenchmarkReport) throws {
        let vm = LuaVM()
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

        let swiftStep = try CoreBenchmarks.referenceStep()
        let luaStep = try vm.run(referenceStepSource + "\nreturn step_time(\"adam\")", name: "=bench")[0].number ?? .nan
        r.add("lua", "reference CNN step from a Lua loop / Swift loop", luaStep / swiftStep, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 1.05", luaStep * 1e3, swiftStep * 1e3))

        let ratio = try vm.run("""
            local n = 10000000
            local p, g = tensor.randn({n}, 1), tensor.randn({n}, 2)
            local m, v = p:zeros_like(), p:zeros_like()
            local lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
            local function lua_adam(t)
              m:mul_(b1):add_(g, 1 - b1)
              v:mul_(b2):addcmul_(g, g, 1 - b2)
              local denom = (v / (1 - b2 ^ t)):sqrt_():add_(eps)
              p:addcdiv_(m, denom, -lr / (1 - b1 ^ t))
            end
            local opt = optim.new("adam")
            local function median(f)
              local ts = {}
              for i = 1, 7 do local t0 = clock(); f(i); ts[i] = clock() - t0 end
              table.sort(ts)
              return ts[4]
            end
            local tl = median(lua_adam)
            local tn = median(function() opt:step(p, g) end)
            return tl / tn, tl, tn
            """, name: "=bench")
        r.add("lua", "Adam in Lua tensor ops / native adam, 10M params", ratio[0].number ?? .nan, "ratio",
              String(format: "%.2f ms vs %.2f ms, target <= 4", (ratio[1].number ?? 0) * 1e3, (ratio[2].number ?? 0) * 1e3))
    }
}
