import XCTest
import Foundation

/// `descent plugins` and Lua plugins used from `descent run`.
final class PluginsCommandTests: XCTestCase {
    let cli = CLI()

    func userPlugins() throws -> String {
        let dir = NSTemporaryDirectory() + "descent-e2e-plugins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            return {
              kind = "optimizer", name = "halving", doc = "Moves halfway against the gradient\\nSecond line.",
              defaults = { lr = 0.5 },
              update = function(param, grad, state, hyper, step) param:add_(grad, -hyper.lr) end,
            }
            """.write(toFile: dir + "/halving.lua", atomically: true, encoding: .utf8)
        try """
            return {
              kind = "optimizer", name = "broken", defaults = { lr = 0.5 },
              update = function(param, grad, state, hyper, step)
                if step == 2 then local x = nil; return x.y end
                param:add_(grad, -hyper.lr)
              end,
            }
            """.write(toFile: dir + "/broken.lua", atomically: true, encoding: .utf8)
        try "return 42".write(toFile: dir + "/junk.lua", atomically: true, encoding: .utf8)
        return dir
    }

    func testListAndShow() throws {
        let list = try cli.descent(["plugins"])
        XCTAssertEqual(list.status, 0, list.err)
        for row in ["optimizer  lion", "optimizer  adam", "scripts/optimizers/lion.lua", "schedule   one_cycle", "native"] {
            XCTAssertTrue(list.out.contains(row), "missing \(row) in\n\(list.out)")
        }
        let show = try cli.descent(["plugins", "show", "adabound"])
        XCTAssertEqual(show.status, 0, show.err)
        XCTAssertTrue(show.out.contains("origin: bundled:scripts/optimizers/adabound.lua"), show.out)
        XCTAssertTrue(show.out.contains("  final_lr = 0.1"), show.out)
        let missing = try cli.descent(["plugins", "show", "nope"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("no plugin named 'nope'"), missing.err)
    }

    /// A copy of the binary elsewhere, started in a directory holding `scripts/optimizers/*.lua`:
    /// it lists its bundled plugins and runs none of those files.
    func testCopiedBinaryListsBundledPluginsAndIgnoresTheCurrentDirectory() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "descent-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("scripts/optimizers"), withIntermediateDirectories: true)
        let copy = dir.appendingPathComponent("descent")
        try FileManager.default.copyItem(at: CLI.binary, to: copy)
        try "io.open('PWNED', 'w'):write('x') return { kind = 'optimizer', name = 'trap', update = function() end }"
            .write(to: dir.appendingPathComponent("scripts/optimizers/trap.lua"), atomically: true, encoding: .utf8)
        let list = try cli.descent(["plugins"], binary: copy, in: dir)
        XCTAssertEqual(list.status, 0, list.err)
        XCTAssertTrue(list.out.contains("bundled:scripts/optimizers/lion.lua"), list.out)
        XCTAssertFalse(list.out.contains("trap"), list.out)
        let repl = try cli.descent(["run", try cli.script("print(optim.new('lion').name)")], binary: copy, in: dir)
        XCTAssertEqual(repl.out, "lion\n", repl.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("PWNED").path))
    }

    func testUserPluginsDirectory() throws {
        let dir = try userPlugins()
        let show = try cli.descent(["plugins", "show", "halving", "--plugins", dir])
        XCTAssertTrue(show.out.contains("Moves halfway against the gradient\nSecond line."), show.out)
        XCTAssertTrue(show.err.contains("junk.lua: must return a plugin table"), show.err)

        let ok = try cli.script("local p = tensor.from{1}; local o = optim.new('halving'); o:step(p, tensor.from{1}); print(p:get(1))")
        let r = try cli.descent(["run", ok, "--plugins", dir])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "0.5\n")
    }

    func testFailingPluginStopsTheScriptWithItsPlace() throws {
        let dir = try userPlugins()
        let path = try cli.script("local p = tensor.from{1}\nlocal o = optim.new('broken')\nfor i = 1, 3 do\n  o:step(p, tensor.from{1})\nend\n")
        let r = try cli.descent(["run", path, "--plugins", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("\(path):4: broken.update ("), r.err)
        XCTAssertTrue(r.err.contains("broken.lua:3): failed on parameter 1 of shape [1]"), r.err)
        XCTAssertTrue(r.err.contains("broken.lua:4: attempt to index a nil value (local 'x')"), r.err)
        XCTAssertTrue(r.err.contains("stack traceback:"), r.err)
    }
}
