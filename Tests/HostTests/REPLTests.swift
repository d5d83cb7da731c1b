import XCTest
@testable import DescentHost
@testable import DescentCore

/// The REPL driven in-process with scripted input: evaluation rules, commands, printing and
/// completion.
final class REPLTests: XCTestCase {
    final class Script: LineReader {
        var lines: [String]
        init(_ lines: [String]) { self.lines = lines }
        func read(prompt: String) -> LineInput { lines.isEmpty ? .end : .line(lines.removeFirst()) }
        func remember(_ line: String) {}
    }

    func session(_ lines: [String], vm: LuaVM? = nil) -> String {
        var out: [String] = []
        try! REPL(vm: vm ?? LuaVM.scripting(), reader: Script(lines), write: { out.append($0) }).run()
        return out.joined(separator: "\n")
    }

    func testExpressionsStatementsAndContinuation() {
        let out = session(["x = 20", "x + 1", "=x * 2", "function f(a)", "  return a + 1", "end", "f(1)", "f(2);", "_", "1 +", "2", "return 7, 'a'"])
        XCTAssertEqual(out, "21\n40\n2\n3\n3\n7\t\"a\"")
    }

    func testErrorsPrintAndTheSessionGoesOn() {
        let out = session(["error('boom')", "tensor.zeros{2}:add_(tensor.zeros{3})", "nil + 1", "local = 3", "'still here'"])
        XCTAssertTrue(out.contains("stdin:1: boom\nstack traceback:"), out)
        XCTAssertTrue(out.contains("bad argument #2 to 'add_' (tensor of shape [2] expected, got [3])"), out)
        XCTAssertTrue(out.contains("attempt to perform arithmetic on a nil value"), out)
        XCTAssertTrue(out.contains("stdin:1: <name> expected near '='"), out)
        XCTAssertTrue(out.hasSuffix("\"still here\""), out)
    }

    func testCommands() throws {
        let file = NSTemporaryDirectory() + "descent-repl-\(UUID().uuidString).lua"
        try "loaded = 5\nreturn loaded * 2".write(toFile: file, atomically: true, encoding: .utf8)
        let out = session([":who", "a = 1", "b = {}", ":who", ":time a + 1", ":load \(file)", "loaded", ":bogus", "h = {5, 4, 3, 2, 1}", ":plot h", ":help", ":continue", "never"])
        XCTAssertTrue(out.hasPrefix("(no user globals)\na\t1\nb\t{}\n2\ntime: "), out)
        XCTAssertTrue(out.contains(" ms\n5\nunknown command :bogus (try :help)"), out)
        XCTAssertTrue(out.contains("         5 |•"), out)
        XCTAssertTrue(out.contains(":time EXPR"), out)
        XCTAssertFalse(out.contains("never"))
    }

    func testPrettyPrinting() {
        let out = session([
            "{b = 2, a = {1, 2}, [3] = 'x', ['not ident'] = true}",
            "c = {}; c.me = c; return c",
            "deep = {{{{{1}}}}}; return deep",
            "big = {}; for i = 1, 100 do big[i] = i end; return big",
            "tensor.from{{1, 2}, {3, 4}}",
            "tensor.zeros{10000000}",
            "m = nn.Sequential{nn.Linear{input = 4, output = 3}, nn.ReLU(), nn.Linear{input = 3, output = 2}}",
            "m:forward(tensor.zeros{5, 4});",
            "m",
            "o = optim.new('momentum'); o:step(tensor.zeros{3}, tensor.ones{3}); return o",
            "('x'):rep(5000)",
        ])
        XCTAssertTrue(out.contains("{\n  [3] = \"x\",\n  a = {\n    1,\n    2\n  },\n  b = 2,\n  [\"not ident\"] = true\n}"), out)
        XCTAssertTrue(out.contains("me = <cycle: table:"), out)
        XCTAssertTrue(out.contains("{...}"), out)
        XCTAssertTrue(out.contains("... (100 entries)"), out)
        XCTAssertTrue(out.contains("(100 values, 1 .. 100)"), out)
        XCTAssertTrue(out.contains("tensor [2,2] float32, 4 elements\nmin 1  max 4  mean 2.5  std 1.118\n        1         2\n        3         4"), out)
        XCTAssertTrue(out.contains("tensor [10000000] float32, 10000000 elements\nmin 0  max 0  mean 0  std 0\n        0         0"), out)
        XCTAssertTrue(out.contains("1  nn.Linear(4 -> 3)  [5,3]       15\n2  nn.ReLU            [5,3]        0\n3  nn.Linear(3 -> 2)  [5,2]        8\ntotal parameters: 23"), out)
        XCTAssertTrue(out.contains("optim.momentum\nhyper: lr = 0.01, momentum = 0.9"), out)
        XCTAssertTrue(out.contains("param 1: momentum_buffer [3] |mean| 1, step 1") || out.contains("param 1: step 1"), out)
        XCTAssertTrue(out.contains("… (5000 bytes)"), out)
    }

    func testCompletionOfGlobalsFieldsAndMethods() {
        let vm = try! LuaVM.scripting()
        let repl = try! REPL(vm: vm, reader: Script([]), write: { _ in })
        try! vm.run("t = tensor.zeros{2}; model = nn.Linear{input = 2, output = 1}; opt = optim.new('adam'); cfg = {alpha = 1, beta = {gamma = 2}}")
        XCTAssertEqual(repl.completions("ten", cursor: 3), ["tensor"])
        XCTAssertEqual(repl.completions("x = tensor.ra", cursor: 13), ["tensor.randn"])
        XCTAssertEqual(repl.completions("t:nu", cursor: 4), ["t:numel"])
        XCTAssertTrue(repl.completions("t:", cursor: 2).contains("t:add_"))
        XCTAssertEqual(repl.completions("model:for", cursor: 9), ["model:forward"])
        XCTAssertTrue(repl.completions("model.", cursor: 6).contains("model.weight"))
        XCTAssertEqual(repl.completions("opt:st", cursor: 6), ["opt:state", "opt:step"])
        XCTAssertTrue(repl.completions("opt.", cursor: 4).contains("opt.hyper"))
        XCTAssertEqual(repl.completions("cfg.beta.g", cursor: 10), ["cfg.beta.gamma"])
        XCTAssertEqual(repl.completions("print(cfg.al", cursor: 12), ["cfg.alpha"])
        XCTAssertEqual(repl.completions("whi", cursor: 3), ["while"])
        XCTAssertEqual(repl.completions("nothing.here", cursor: 12), [])
    }

    func testNothingTypedCrashesTheHost() {
        let long = String(repeating: "1 + ", count: 20000) + "1"
        let out = session(["\u{FF}\u{FE}invalid", long, "string.char(255, 254)", "setmetatable({}, {__tostring = function() error('bad tostring') end})",
                           "collectgarbage()", "tensor.zeros{-1}", "optim.new()", "nn.Linear()", "'ok'"])
        XCTAssertTrue(out.hasSuffix("\"ok\""), out)
        XCTAssertTrue(out.contains("20001"), "a long line evaluates")
    }
}
