import XCTest

/// The C loops chosen by CPU feature (AVX-512, AVX2, portable: pooling on both layouts, batch
/// norm, SiLU, the fused optimizer kernels, native Adam and RMSProp) promise the same bits on
/// every path. Training a small model that uses all of them with DESCENT_VECTOR_LEVEL lowered
/// must print the same numbers, with oneDNN's 16- and 8-channel blocked layouts.
final class VectorLevelTests: XCTestCase {
    func testEveryVectorLevelGivesTheSameBits() throws {
        let cli = CLI()
        let path = try cli.script("""
            local model = nn.Sequential{
              nn.Conv2d{input=3, output=16, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
              nn.Conv2d{input=16, output=32, kernel=3, padding=1}, nn.ReLU(), nn.MaxPool2d{kernel=2},
              nn.Conv2d{input=32, output=16, kernel=3, padding=1, bias=false}, nn.BatchNorm2d{channels=16}, nn.SiLU(),
              nn.MaxPool2d{kernel=2}, nn.Flatten(), nn.Linear{input=16*4*4, output=10}}
            local loss, opt = nn.CrossEntropy(), optim.new("lua_adam")
            local x, y = tensor.randn({4, 3, 32, 38}, 1), tensor.from{0, 1, 2, 3}
            local params, grads = model:parameters()
            for i = 1, 3 do
              model:zero_grad()
              local out = model:forward(x)
              local l = loss:forward(out, y)
              local gx = model:backward(x, loss:backward(out, y)):norm()
              opt:step(params, grads)
              print(string.format("%.9g %.9g %.9g", l, gx, params[1]:norm()))
            end
            -- Native Adam's pass (adam.c) on a size with a tail after the vectors.
            local p, g = tensor.randn({1003}, 5), tensor.randn({1003}, 6)
            local native = optim.new("adamw", {weight_decay = 0.1})
            for i = 1, 3 do native:step({p}, {g}) end
            print(string.format("%.9g", p:norm()))
            -- RMSProp's pass (rmsprop.c) in each convention, on the same size.
            local rms = {}
            for _, cfg in ipairs{{}, {centered = true, momentum = 0.9}, {form = "keras", momentum = 0.5, weight_decay = 0.01}} do
              local q = tensor.randn({1003}, 5)
              local o = optim.new("rmsprop", cfg)
              for i = 1, 3 do o:step({q}, {g}) end
              rms[#rms + 1] = string.format("%a %a", q:norm(), q:get(1003))
            end
            print(table.concat(rms, " "))
            -- Every instruction of a fused kernel, with -0, NaN and infinities among the inputs and
            -- a length with a tail, printed bit for bit (%a).
            local k = optim.kernel{tensors = {"a", "b", "c", "d", "e", "f"}, body = function(t, s)
              return {c = (t.a:maximum(t.b) + t.a:minimum(t.b)) * t.a:abs() - t.a:sign() + (-t.b):square(),
                      d = t.a:abs():sqrt() * s.x + (t.b:abs() + 1):log() + t.b:exp() - t.a:abs() ^ t.b,
                      e = s.x * t.a + (s.y * t.b) * t.e - t.c * t.e, f = t.f - (s.x * t.a) / t.b + t.a / (t.b:abs() + 1)}
            end}
            local n = 37
            local a, b, e, f = tensor.randn({n}, 7), tensor.randn({n}, 8), tensor.randn({n}, 9), tensor.randn({n}, 10)
            a:set(-0.0, 2); a:set(0/0, 5); a:set(1/0, 11); a:set(-1/0, 17); b:set(0.0, 3); b:set(-1/0, 23)
            local c, d = tensor.randn({n}, 11), tensor.zeros{n}
            k{a = a, b = b, c = c, d = d, e = e, f = f, x = 0.3, y = -1.7}
            local out = {}
            for _, t in ipairs{c, d, e, f} do for i = 1, n do out[#out + 1] = string.format("%a", t:get(i)) end end
            print(table.concat(out, " "))
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Where oneDNN is held to AVX2 (as on a CPU without AVX-512) it hands over 8-channel
        // blocks instead of 16; its convolutions then give other bits, so each ISA is compared
        // with itself.
        for isa in ["ALL", "AVX2"] {
            let native = try cli.descent(["run", path], environment: ["ONEDNN_MAX_CPU_ISA": isa])
            XCTAssertEqual(native.status, 0, native.err)
            XCTAssertEqual(native.out.split(separator: "\n").count, 6)
            // "1" and "0" lower the level; anything else ("3" would raise it, the rest is not a
            // level) is ignored, so it runs the native bodies and prints the same.
            for level in ["1", "0", "3", "-1", "12", "x", "", "1 "] {
                let lowered = try cli.descent(["run", path], environment: ["DESCENT_VECTOR_LEVEL": level, "ONEDNN_MAX_CPU_ISA": isa])
                XCTAssertEqual(lowered.status, 0, lowered.err)
                XCTAssertEqual(lowered.out, native.out, "DESCENT_VECTOR_LEVEL=\(level), ONEDNN_MAX_CPU_ISA=\(isa)")
            }
        }
    }
}
