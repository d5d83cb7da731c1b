import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins

/// Muon, Schedule-Free AdamW, Adafactor and LAMB (bundled Lua plugins) against Optax 0.2.8:
/// five steps on a matrix, a wide matrix, a vector and a 4-D kernel, with the trajectories Optax
/// computed (Fixtures/optax, written by make_fixtures.py there).
final class ModernOptimizerTests: PluginTestCase {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/optax").path

    /// Runs the Lua `body` with the fixture helpers defined; returns its results.
    func run(_ body: String) throws -> [LuaValue] {
        let (vm, registry) = boot()
        defer { withExtendedLifetime(registry) {} }   // the VM's catalog (optim.new) is the registry
        vm.setGlobal("DIR", .string(Self.fixtures))
        return try vm.run("""
            local names = { "mat", "wide", "vec", "conv" }
            -- Row t of a [T, ...] fixture, shaped like `like`.
            local function row(all, t, like)
              local n = like:numel()
              local flat, out = all:reshape{ -1 }, tensor.zeros{ n }
              for j = 1, n do out:set(flat:get((t - 1) * n + j), j) end
              return out:reshape(like:shape())
            end
            local function params() local p = {} for i, k in ipairs(names) do p[i] = tensor.load(DIR .. "/p0_" .. k .. ".npy") end return p end
            local function grads(t, p)
              local g = {} for i, k in ipairs(names) do g[i] = row(tensor.load(DIR .. "/g_" .. k .. ".npy"), t, p[i]) end return g
            end
            -- The largest relative error against Optax over five steps.
            local function compare(case, name, hyper)
              local p, opt, worst = params(), optim.new(name, hyper), 0
              for t = 1, 5 do
                opt:step(p, grads(t, p))
                for i, k in ipairs(names) do
                  local want = row(tensor.load(DIR .. "/" .. case .. "_want_" .. k .. ".npy"), t, p[i])
                  worst = math.max(worst, (p[i] - want):norm() / want:norm())
                end
              end
              return worst, opt, p
            end
            \(body)
            """, name: "=modern")
    }

    func testEachEqualsOptax() throws {
        let cases: [(String, String, String, Double)] = [
            ("lamb", "lamb", "{ lr = 0.01, weight_decay = 0.01 }", 1e-4),
            ("adafactor", "adafactor", "{ lr = 0.01, min_dim_size_to_factor = 4, momentum = 0.9 }", 1e-4),
            ("adafactor_default", "adafactor", "{ lr = 0.01 }", 1e-4),
            ("schedule_free_adamw", "schedule_free_adamw", "{ lr = 0.01, warmup_steps = 2, weight_decay = 0.01 }", 1e-4),
            ("muon", "muon", "{ lr = 0.02, weight_decay = 0.01 }", 1e-3),
        ]
        for (fixture, name, hyper, tolerance) in cases {
            let worst = try run("return (compare(\"\(fixture)\", \"\(name)\", \(hyper)))")[0].number ?? .nan
            XCTAssertLessThanOrEqual(worst, tolerance, fixture)
        }
    }

    /// Schedule-Free's evaluation point x, swapped in and out like optim.ema's averages.
    func testScheduleFreeEvaluatesAtX() throws {
        let r = try run("""
            local _, opt, p = compare("schedule_free_adamw", "schedule_free_adamw", { lr = 0.01, warmup_steps = 2, weight_decay = 0.01 })
            local y = p[1]:clone()
            opt:swap_averages(p)
            local want = tensor.load(DIR .. "/schedule_free_adamw_x_mat.npy")
            local err = (p[1] - want):norm() / want:norm()
            opt:swap_averages(p)
            return err, (p[1] - y):norm()
            """)
        XCTAssertLessThanOrEqual(r[0].number ?? .nan, 1e-4)
        XCTAssertEqual(r[1].number, 0, "the second swap puts the live parameters back")
    }

    /// Saved mid-run and restored into a new optimizer, each continues bit for bit (Adafactor's
    /// factored row and column statistics, Schedule-Free's z and running weights, Muon's buffers).
    func testStateSavesAndRestores() throws {
        for (name, hyper) in [("adafactor", "{ lr = 0.01, min_dim_size_to_factor = 4, momentum = 0.9 }"),
                              ("schedule_free_adamw", "{ lr = 0.01, warmup_steps = 2 }"), ("muon", "{}"), ("lamb", "{}")] {
            let r = try run("""
                local path = os.tmpname()
                local a, b = params(), params()
                local oa = optim.new("\(name)", \(hyper))
                for t = 1, 2 do oa:step(a, grads(t, a)) end
                oa:save(path)
                local ob = optim.new("\(name)", \(hyper))
                for i = 1, #a do b[i]:copy_(a[i]) end
                ob:load(path)
                for t = 3, 5 do oa:step(a, grads(t, a)); ob:step(b, grads(t, b)) end
                os.remove(path)
                local diff = 0
                for i = 1, #a do diff = diff + (a[i] - b[i]):norm() end
                return diff
                """)
            XCTAssertEqual(r[0].number, 0, name)
        }
    }

    func testBadHyperparametersAreErrorsWhenMade() throws {
        let cases: [(String, String)] = [
            ("muon", "{ ns_steps = -1 }"), ("muon", "{ ns_steps = 2.5 }"), ("muon", "{ momentum = 1 }"), ("muon", "{ form = 'torch' }"),
            ("lamb", "{ beta2 = 1 }"), ("lamb", "{ epsilon = -1 }"),
            ("adafactor", "{ decay_rate = -0.5 }"), ("adafactor", "{ min_dim_size_to_factor = 0 }"), ("adafactor", "{ momentum = 1 }"),
            ("schedule_free_adamw", "{ beta1 = 0 }"), ("schedule_free_adamw", "{ warmup_steps = -3 }"), ("schedule_free_adamw", "{ beta2 = 1.5 }"),
        ]
        for (name, hyper) in cases {
            let r = try run("local ok, err = pcall(optim.new, \"\(name)\", \(hyper)) return ok, tostring(err)")
            XCTAssertEqual(r[0], .bool(false), "\(name) \(hyper)")
            guard case .string(let message) = r[1] else { return XCTFail("\(name) \(hyper): no message") }
            XCTAssertTrue(message.hasPrefix("\(name): "), "\(name) \(hyper): \(message)")
        }
    }
}
