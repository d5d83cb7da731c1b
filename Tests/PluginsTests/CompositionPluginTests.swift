import XCTest
import Foundation
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins

/// Plugins that compose: whole-step optimizers, `build` (a named chain), `transform` plugins,
/// and what each parameter's update learns about it.
final class CompositionPluginTests: PluginTestCase {
    static let files = [
        // Normalised SGD over the whole step: p -= lr * g / max(1, global norm).
        "global_sgd.lua": """
            return {
              kind = "optimizer", name = "global_sgd", defaults = { lr = 1 },
              step = function(params, grads, states, hyper, count, infos)
                local sq = 0
                for _, g in ipairs(grads) do sq = sq + g:dot(g) end
                local scale = math.max(1, math.sqrt(sq))
                for i, p in ipairs(params) do p:add_(grads[i], -hyper.lr / scale); states[i].seen = count end
              end,
              init = function(p) return { seen = 0 } end,
            }
            """,
        "clipped_adam.lua": """
            return {
              kind = "optimizer", name = "clipped_adam", doc = "Adam after clipping the global norm",
              defaults = { lr = 0.001, max_norm = 1 },
              build = function(hyper)
                return optim.chain{ optim.clip_by_global_norm(hyper.max_norm), optim.new("adam", { lr = hyper.lr }) }
              end,
            }
            """,
        // Gradient centralisation (Yong et al. 2020) as a transform: g -= mean(g) per tensor.
        "centralize.lua": """
            return {
              kind = "transform", name = "centralize", defaults = { strength = 1 },
              init = function(params, hyper) return { calls = 0 } end,
              update = function(grads, state, hyper, params, count)
                for _, g in ipairs(grads) do g:sub_(g:mean() * hyper.strength) end
                state.calls = count
              end,
            }
            """,
        // Plugins keep their globals to themselves: this one reports through the parameters,
        // writing its index and the length of its name.
        "names.lua": """
            return {
              kind = "optimizer", name = "names", defaults = { lr = 0 },
              update = function(param, grad, state, hyper, step, info) param:fill_(info.index * 100 + #(info.name or "")) end,
            }
            """,
        "bad_build.lua": #"return { kind = "optimizer", name = "bad_build", build = function(h) return 42 end }"#,
        "two_ways.lua": #"return { kind = "optimizer", name = "two_ways", update = function() end, step = function() end }"#,
    ]

    func testWholeStepOptimizerSeesEveryGradient() throws {
        let (_, registry) = boot([try directory(Self.files)])
        let opt = try registry.makeOptimizer("global_sgd")
        let a = Tensor([0]), b = Tensor([0])
        try opt.step([a, b], [Tensor([3]), Tensor([4])])
        XCTAssertEqual(a.values, [-0.6])
        XCTAssertEqual(b.values, [-0.8])
        XCTAssertEqual(opt.states[1].number("seen"), 1)
        XCTAssertEqual(opt.states[1].number("step"), 1)
    }

    func testBuildRegistersAComposedOptimizerByName() throws {
        let (vm, registry) = boot([try directory(Self.files)])
        let opt = try registry.makeOptimizer("clipped_adam", [("max_norm", .number(0.5))])
        XCTAssertEqual(opt.name, "chain(clip_by_global_norm,adam)")
        XCTAssertEqual(opt.hyper["max_norm"], .number(0.5))
        try opt.setHyper("lr", .number(0.01))
        XCTAssertEqual(opt.hyper["lr"], .number(0.01))
        XCTAssertEqual(try vm.run(#"return optim.new("clipped_adam").name"#)[0], .string("chain(clip_by_global_norm,adam)"))
        XCTAssertTrue(message { _ = try registry.makeOptimizer("bad_build") }.contains("must return an optimizer (optim.chain{...}, optim.new(...)), returned 42"))
        XCTAssertTrue(registry.diagnostics.contains { $0.contains("two_ways.lua: optimizer 'two_ways' must have exactly one of 'update' (per parameter), 'step' (whole step) or 'build' (a composed optimizer), has update and step") },
                      registry.diagnostics.joined(separator: "\n"))
    }

    func testTransformPluginInAChain() throws {
        let (vm, registry) = boot([try directory(Self.files)])
        defer { withExtendedLifetime(registry) {} }
        let r = try vm.run("""
            local p = tensor.from{0, 0, 0}
            local c = optim.chain{ optim.transform("centralize", { strength = 1 }), optim.new("sgd", { lr = 1 }) }
            c:step({p}, {tensor.from{1, 2, 6}})
            return p, c:state(1)["centralize.calls"], c.hyper.strength, tostring(optim.transform("centralize"))
            """)
        guard case .tensor(let p) = r[0] else { return XCTFail("\(r[0])") }
        XCTAssertEqual(p.values, [2, 1, -3])
        XCTAssertEqual(r[1].number, 1)
        XCTAssertEqual(r[2].number, 1)
        XCTAssertTrue("\(r[3])".contains("centralize"), "\(r[3])")
        let unknown = message { try vm.run(#"optim.transform("nope")"#) }
        XCTAssertTrue(unknown.contains("unknown transform 'nope' (known: ") && unknown.contains("centralize") && unknown.contains("gradient_noise"), unknown)
    }

    /// The bundled composed plugins: `lookahead_adam` is optim.lookahead over adam, bit for bit;
    /// `gradient_noise` adds seeded noise of the annealed scale.
    func testBundledLookaheadAdamAndGradientNoise() throws {
        let (vm, registry) = boot()
        defer { withExtendedLifetime(registry) {} }
        let r = try vm.run("""
            local a, b = tensor.randn({64}, 1), tensor.randn({64}, 1)
            local named = optim.new("lookahead_adam", { lr = 0.01, lookahead_k = 3 })
            local built = optim.lookahead(optim.new("adam", { lr = 0.01 }), { k = 3 })
            for i = 1, 7 do
              local g = tensor.randn({64}, 10 + i)
              named:step({a}, {g}); built:step({b}, {g:clone()})
            end
            local function noisy(seed)
              local p = tensor.zeros{20000}
              local c = optim.chain{ optim.transform("gradient_noise", { eta = 0.3, gamma = 0.55, seed = seed }), optim.new("sgd", { lr = 1 }) }
              c:step({p}, {p:zeros_like()})
              return p
            end
            local n1, n2, n3 = noisy(1), noisy(1), noisy(2)
            return (a - b):abs():max(), named.name, (n1 - n2):abs():max(), (n1 - n3):abs():max(), n1:std()
            """)
        XCTAssertEqual(r[0].number, 0, "lookahead_adam equals optim.lookahead(adam)")
        XCTAssertEqual(r[1], .string("lookahead(adam)"))
        XCTAssertEqual(r[2].number, 0, "the same seed gives the same noise")
        XCTAssertGreaterThan(r[3].number ?? 0, 0, "another seed another noise")
        // Step 1: sigma = sqrt(0.3 / 2^0.55) = 0.4705.
        XCTAssertEqual(r[4].number ?? 0, (0.3 / pow(2, 0.55)).squareRoot(), accuracy: 0.01)
    }

    func testUpdatesLearnEachParametersIndexAndName() throws {
        let (vm, registry) = boot([try directory(Self.files)])
        defer { withExtendedLifetime(registry) {} }
        let seen = try vm.run("""
            local m = nn.Sequential{ nn.Linear{ input = 2, output = 2 }, nn.ReLU(), nn.Linear{ input = 2, output = 1, bias = false } }
            local params, grads = m:parameters()
            optim.new("names"):step(params, grads)
            local other = tensor.zeros{2}
            optim.new("names"):step({other}, {other:zeros_like()})
            return params[1]:get(1, 1) .. " " .. params[2]:get(1) .. " " .. params[3]:get(1, 1) .. " " .. other:get(1)
            """)
        XCTAssertEqual(seen[0], .string("108.0 206.0 308.0 100.0"), "index*100 + length of 0.weight, 0.bias, 2.weight, none")
    }
}
