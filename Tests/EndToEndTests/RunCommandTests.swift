import XCTest
import Foundation

/// `descent run` as a user runs it: exit status, stdout, stderr.
final class RunCommandTests: XCTestCase {
    let cli = CLI()
    func descent(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try cli.descent(args) }
    func script(_ text: String) throws -> String { try cli.script(text) }

    func testExamplesRun() throws {
        let r1 = try descent(["run", "scripts/examples/train_cnn.lua", "--set", "steps=3"])
        XCTAssertEqual(r1.status, 0, r1.err)
        XCTAssertTrue(r1.out.contains("step   2"), r1.out)
        let r2 = try descent(["run", "scripts/examples/lua_adam.lua", "--set", "steps=20"])
        XCTAssertEqual(r2.status, 0, r2.err)
        let diff = r2.out.components(separatedBy: "= ").last.flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertNotNil(diff)
        XCTAssertLessThan(diff ?? 1, 1e-5, "Lua Adam and native Adam disagree: \(r2.out)")
    }

    func testArgumentsAndParams() throws {
        let path = try script("print(arg[0] ~= nil, arg[1], arg[2], params.steps + 1, params.name, params.flag)")
        let r = try descent(["run", path, "--set", "steps=9", "a", "--set=name=adam", "b", "--set", "flag=true"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "true\ta\tb\t10\tadam\ttrue\n")
        // Options before the script, unknown options and everything after `--` go to the script.
        let all = try script("print(#arg, table.concat(arg, ' '), params.steps)")
        let r2 = try descent(["run", "--set", "steps=3", all, "a", "-x", "--unknown", "--", "--set", "steps=4", "--"])
        XCTAssertEqual(r2.status, 0, r2.err)
        XCTAssertEqual(r2.out, "6\ta -x --unknown --set steps=4 --\t3\n")
        let twoEquals = try descent(["run", all, "--set", "a=b=c"])
        XCTAssertEqual(twoEquals.status, 1)
        XCTAssertTrue(twoEquals.err.contains("--set: key=value (one '=') expected, got 'a=b=c'"), twoEquals.err)
        let bad = try descent(["run", all, "--jobs", "0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--jobs: a positive integer expected, got 0"), bad.err)
    }

    func testSyntaxAndRuntimeErrorsExitOneWithFileLine() throws {
        let syntax = try script("local x = 1\nlocal y = = 2\n")
        let r1 = try descent(["run", syntax])
        XCTAssertEqual(r1.status, 1)
        XCTAssertTrue(r1.err.contains("\(syntax):2: unexpected symbol near '='"), r1.err)
        let runtime = try script("local function f()\n  return nil + 1\nend\nf()\n")
        let r2 = try descent(["run", runtime])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.err.contains("\(runtime):2: attempt to perform arithmetic on a nil value"), r2.err)
        XCTAssertTrue(r2.err.contains("stack traceback:"), r2.err)
        let bad = try script("tensor.zeros{2}:add_(tensor.zeros{3})\n")
        let r3 = try descent(["run", bad])
        XCTAssertEqual(r3.status, 1)
        XCTAssertTrue(r3.err.contains("\(bad):1: bad argument #2 to 'add_' (tensor of shape [2] expected, got [3])"), r3.err)
    }

    func testInterruptExits130() throws {
        let path = try script("local i = 0\nwhile true do i = i + 1 end\n")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertTrue(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("interrupted!"))
    }

    func testHelpAndVersion() throws {
        XCTAssertEqual(try descent(["--version"]).out, "0.1.0\n")
        XCTAssertTrue(try descent(["run", "--help"]).out.contains("--set <key=value>"))
    }
}
