import DescentCore
import DescentHost

/// Composed optimizers against native AdamW on 10M parameters (ten 1M tensors): a clipped chain
/// must cost one norm pass plus Adam's fused pass, and groups one fused pass per group.
public enum CompositionBenchmarks {
    public static func run(_ r: BenchmarkReport) throws {
        let vm = try LuaVM.scripting()
        try LuaBenchmarks.prepare(vm)
        // The chain's norm is one more read of the gradients (40 MB against Adam's 280 MB): its floor is ~1.14.
        let cases = [
            ("chain{clip_by_global_norm(1), adam} / adamw", #"optim.chain{optim.clip_by_global_norm(1), optim.new("adam", {lr = 1e-6})}"#, 1.2),
            ("adamw with 2 groups (no decay on half) / adamw",
             #"optim.new("adamw", {lr = 1e-6}, {groups = {{match = function(p, i) return i % 2 == 0 end, weight_decay = 0}}})"#, 1.3),
            ("lookahead(adamw) / adamw", #"optim.lookahead(optim.new("adamw", {lr = 1e-6}))"#, 1.2),
        ]
        for (label, make, target) in cases {
            let out = try vm.run("""
                local function tensors(seed) local t = {} for i = 1, 10 do t[i] = tensor.randn({1000000}, seed + i) end return t end
                local g, pa, pb = tensors(100), tensors(0), tensors(0)
                local native, composed = optim.new("adamw", {lr = 1e-6}), \(make)
                local tn, tc = medians(11, 2, function() native:step(pa, g) end, function() composed:step(pb, g) end)
                return tc / tn, tc, tn
                """, name: "=bench")
            r.add("compose", label + ", 10M params", out[0].number ?? .nan, "ratio",
                  String(format: "%.2f ms vs %.2f ms, target <= %.1f", (out[1].number ?? 0) * 1e3, (out[2].number ?? 0) * 1e3, target))
        }
    }
}
