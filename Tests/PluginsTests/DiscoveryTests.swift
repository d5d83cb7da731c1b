import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins

final class DiscoveryTests: PluginTestCase {
    func plugin(_ name: String, doc: String, kind: String = "optimizer") -> String {
        kind == "optimizer"
            ? "return { kind = 'optimizer', name = '\(name)', doc = '\(doc)', defaults = { lr = 0.5 }, update = function(p, g) p:add_(g, -1) end }"
            : "return { kind = 'schedule', name = '\(name)', doc = '\(doc)', at = function() return 1 end }"
    }

    func testLaterDirectoriesOverrideEarlierWithAWarningNamingBoth() throws {
        let first = try directory(["mine.lua": plugin("mine", doc: "first")])
        let second = try directory(["other_file_name.lua": plugin("mine", doc: "second")])
        let (_, registry) = boot([first, second])
        XCTAssertEqual(registry.plugin(.optimizer, "mine")?.doc, "second")
        XCTAssertEqual(registry.plugin(.optimizer, "mine")?.origin, .file(second + "/other_file_name.lua"))
        XCTAssertTrue(registry.diagnostics.contains("warning: optimizer 'mine' from \(second)/other_file_name.lua overrides the one from \(first)/mine.lua"),
                      "\(registry.diagnostics)")
        // A user file may replace a shipped plugin too, with the same warning.
        let shadow = try directory(["lion.lua": plugin("lion", doc: "my lion")])
        let (_, r2) = boot([shadow])
        XCTAssertEqual(r2.plugin(.optimizer, "lion")?.doc, "my lion")
        XCTAssertTrue(r2.diagnostics.contains { $0.contains("overrides the one from bundled:scripts/optimizers/lion.lua") }, "\(r2.diagnostics)")
    }

    /// Bundled plugins come from the binary; the search path is DESCENT_PATH then --plugins, and
    /// nothing else: no `scripts/` of the current directory, whatever it holds.
    func testSearchPathIsDescentPathThenFlagsAndNeverTheCurrentDirectory() throws {
        setenv("DESCENT_PATH", "/tmp/a::/tmp/b", 1)
        defer { unsetenv("DESCENT_PATH") }
        XCTAssertEqual(PluginRegistry.searchPath(extra: ["/tmp/c"]), ["/tmp/a", "/tmp/b", "/tmp/c"])
        let trap = try directory([:])
        try FileManager.default.createDirectory(atPath: trap + "/scripts/optimizers", withIntermediateDirectories: true)
        try "io.open('\(trap)/PWNED', 'w'):write('x') return { kind = 'optimizer', name = 'trap', update = function() end }"
            .write(toFile: trap + "/scripts/optimizers/trap.lua", atomically: true, encoding: .utf8)
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(trap))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        let (_, registry) = boot()
        XCTAssertNil(registry.plugin(.optimizer, "trap"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: trap + "/PWNED"))
        XCTAssertEqual(registry.plugin(.optimizer, "lion")?.origin, .bundled("scripts/optimizers/lion.lua"))
    }

    func testDescentPathPluginsAreUsableFromLua() throws {
        let dir = try directory(["half.lua": plugin("half", doc: "halves", kind: "schedule")])
        setenv("DESCENT_PATH", dir, 1)
        defer { unsetenv("DESCENT_PATH") }
        let registry = try PluginRegistry(searchPath: PluginRegistry.searchPath())
        XCTAssertEqual(try registry.vm.run("return schedule.new('half'):at(3)")[0].number, 1)
        XCTAssertTrue(try registry.vm.run("return table.concat(schedule.list(), ',')")[0].description.contains("half"))
    }

    /// Each kind of mistake has its own message with the path; the good file still loads.
    func testBadFilesAreReportedAndSkipped() throws {
        let files = [
            "a_good.lua": plugin("good", doc: "fine"),
            "syntax.lua": "return { kind = 'optimizer', name = 'x' ",
            "no_update.lua": "return { kind = 'optimizer', name = 'no_update' }",
            "no_at.lua": "return { kind = 'schedule', name = 'no_at' }",
            "wrong_kind.lua": "return { kind = 'optimiser', name = 'wk', update = function() end }",
            "bad_default.lua": "return { kind = 'optimizer', name = 'bd', defaults = { lr = function() end }, update = function() end }",
            "dup.lua": plugin("good", doc: "again"),
            "nothing.lua": "local x = 1",
            "raises.lua": "error('cannot load this')",
            "typo.lua": "return { kind = 'optimizer', name = 'typo', update = function() end, defualts = {} }",
            "exits.lua": "os.exit(3)",
            "clobbers.lua": "tensor.zeros = function() return 42 end\n" + plugin("clobbers", doc: "x"),
        ]
        let dir = try directory(files)
        let (_, registry) = boot([dir])
        let d = registry.diagnostics.joined(separator: "\n")
        let expected = [
            "error: \(dir)/syntax.lua: syntax error: ", "syntax.lua:1: '}' expected near <eof> (skipped)",
            "error: \(dir)/no_update.lua: optimizer 'no_update' must have exactly one of 'update' (per parameter), 'step' (whole step) or 'build' (a composed optimizer), has none (skipped)",
            "error: \(dir)/no_at.lua: schedule 'no_at' has no 'at' function (skipped)",
            "error: \(dir)/wrong_kind.lua: wrong kind: 'kind' must be one of \"optimizer\", \"schedule\", \"dataset\", \"model\", \"transform\", got \"optimiser\" (skipped)",
            "error: \(dir)/bad_default.lua: default 'lr' must be a number, boolean, string or list of numbers, got function (skipped)",
            "error: \(dir)/dup.lua: duplicate optimizer name 'good', already defined by \(dir)/a_good.lua in the same directory (skipped)",
            "error: \(dir)/nothing.lua: must return a plugin table {kind = ..., name = ..., ...}, returned nil (skipped)",
            "error: \(dir)/raises.lua: error while loading: ", "raises.lua:1: cannot load this",
            "error: \(dir)/typo.lua: unknown field 'defualts' in optimizer 'typo' (known: average, build, check, defaults, doc, init, kind, name, step, update) (skipped)",
            "error: \(dir)/exits.lua: error while loading: ", "exits.lua:1: os.exit is not available to plugins",
            "error: \(dir)/clobbers.lua: error while loading: ", "clobbers.lua:1: plugins cannot change tensor.zeros (the API is shared by every script)",
        ]
        for e in expected { XCTAssertTrue(d.contains(e), "missing: \(e)\nin:\n\(d)") }
        XCTAssertEqual(registry.plugin(.optimizer, "good")?.doc, "fine")
        for name in ["no_update", "wk", "bd", "typo"] { XCTAssertNil(registry.plugin(.optimizer, name), name) }
        XCTAssertNotNil(registry.plugin(.optimizer, "lion"), "shipped plugins still load")
        XCTAssertEqual(try registry.vm.run("return tensor.zeros{2}:numel()")[0].number, 2, "the API is intact")
    }

    /// What the sandbox promises (Lua/sandbox.lua): no plugin changes what other code sees or
    /// ends the process, whichever way it reaches for the shared state.
    func testSandboxHoldsAgainstEveryRoute() throws {
        let attacks = [
            "_G.os.exit(42)", "os.exit(42)", "_G.tensor.zeros = nil", "tensor.zeros = nil", "rawset(tensor, 'zeros', 1)",
            "getmetatable('').__index = {}", "getmetatable('').__index.find = nil", "string.find = nil",
            "getmetatable(tensor.zeros{1}).__index = nil", "getmetatable(tensor.zeros{1}).__index.numel = nil",
            "debug.getregistry()._LOADED.string.find = nil", "debug.setmetatable('', {})", "debug.sethook(print, 'l')",
            "debug.setupvalue(optim.kernel, 1, nil)", "package.loaded.string.find = nil", "package.loaded._G.tensor.zeros = nil",
            "require('string').find = nil", "require('descent').tensor.zeros = nil", "require('os').exit(1)",
            "load('tensor.zeros = nil')()", "load(string.dump(function() return 1 end))()",
            "dofile('/dev/null'); _G.nn.Linear = nil", "table.insert = nil", "math.pi = 3",
        ]
        let checks = attacks.enumerated().map { i, a in
            "if pcall(function() \(a) end) then error('attack \(i + 1) succeeded: ' .. \(luaString(a))) end"
        }.joined(separator: "\n")
        let dir = try directory(["evil.lua": checks + "\n" + plugin("evil", doc: "tries everything")])
        let (vm, registry) = boot([dir])
        XCTAssertEqual(registry.diagnostics.filter { $0.contains("evil") }, [])
        XCTAssertNotNil(registry.plugin(.optimizer, "evil"))
        XCTAssertEqual(try vm.run("""
            return tensor.zeros{2}:numel() + select(1, ('abc'):find('c')) + select(1, string.find('ab', 'b'))
              + tensor.zeros{1}:numel() + math.pi // 1 + (nn.Linear and 1 or 0) + (table.insert and 1 or 0)
            """)[0].number, 2 + 3 + 2 + 1 + 3 + 1 + 1)
    }

    /// A plugin keeps what a Lua module author expects: its own classes with metatables, require
    /// of the API and the standard libraries, load into its own environment.
    func testSandboxLeavesOrdinaryLuaAlone() throws {
        let body = """
            local Class = {}; Class.__index = Class
            local obj = setmetatable({x = 1}, Class)
            assert(getmetatable(obj) == Class)
            local d = require "descent"
            assert(d.tensor.zeros{3}:numel() == 3 and require("string").format("%d", 7) == "7")
            secret = 5
            assert(load("return secret")() == 5 and _G.secret == 5)
            assert(("x"):rep(3) == "xxx" and getmetatable("").__index.upper("a") == "A")
            """
        let dir = try directory(["fine.lua": body + "\n" + plugin("fine", doc: "ordinary")])
        let (_, registry) = boot([dir])
        XCTAssertEqual(registry.diagnostics.filter { $0.contains("fine") }, [])
        XCTAssertNotNil(registry.plugin(.optimizer, "fine"))
    }

    private func luaString(_ s: String) -> String { "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }

    func testMissingDirectoryIsAWarning() {
        let (_, registry) = boot(["/nonexistent/descent"])
        XCTAssertTrue(registry.diagnostics.contains("warning: plugin directory /nonexistent/descent does not exist"))
    }

    func testPluginGlobalsStayPrivate() throws {
        let dir = try directory(["leaky.lua": "helper = 42\n" + plugin("leaky", doc: "x")])
        let (vm, _) = boot([dir])
        XCTAssertEqual(try vm.run("return helper")[0], .nil)
    }

    func testListingAndDetails() throws {
        let (_, registry) = boot()
        let table = PluginListing.table(registry.plugins)
        XCTAssertTrue(table.contains("optimizer  lion"), table)
        XCTAssertTrue(table.contains("schedule   warmup_cosine"), table)
        XCTAssertTrue(table.contains("dataset    street_scenes "), table)
        XCTAssertTrue(table.contains("model      detector "), table)
        let lion = PluginListing.details(registry.plugin(.optimizer, "lion")!)
        XCTAssertTrue(lion.contains("origin: bundled:scripts/optimizers/lion.lua"), lion)
        XCTAssertTrue(lion.contains("  beta2 = 0.99"), lion)
        XCTAssertTrue(PluginListing.details(registry.plugin(.optimizer, "adam")!).contains("origin: native"))
    }
}
