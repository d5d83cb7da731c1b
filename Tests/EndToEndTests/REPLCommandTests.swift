import XCTest
import Foundation

/// `descent repl` and `repl()` as users drive them: through a pipe, and through a terminal.
final class REPLCommandTests: XCTestCase {
    let cli = CLI()

    /// Runs the binary with `input` on stdin (a pipe); `signal` sends SIGINT after a delay.
    func piped(_ args: [String], input: String, interruptAfter: Double? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        p.currentDirectoryURL = CLI.root
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        (p.standardInput, p.standardOutput, p.standardError) = (inPipe, out, err)
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        if let delay = interruptAfter {
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGINT)
        }
        try inPipe.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testPipedSession() throws {
        let r = try piped(["repl"], input: "x = 2\nfor i = 1, 3 do\n  x = x * 2\nend\nx\nx;\n_ + 1\nerror('oops')\n:who\nlion = optim.new('lion')\nlion.hyper.lr\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("\n16\n17\n"), r.out)
        XCTAssertTrue(r.out.contains("stdin:1: oops"), r.out)
        XCTAssertTrue(r.out.contains("x\t16"), r.out)
        XCTAssertTrue(r.out.contains("0.0001"), "plugins are loaded in the REPL: \(r.out)")
        XCTAssertFalse(r.out.contains("\u{1B}["), "no colour when not on a terminal")
    }

    func testReplInsideAScriptSeesItsStateAndContinues() throws {
        let script = try cli.script("""
            local model = nn.Linear{input = 2, output = 1}
            local step = 3
            x = 5
            repl()
            print("after", x, step)
            """)
        let r = try piped(["run", script], input: "model\nstep * 10\nx = 7\n:continue\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("1  nn.Linear(2 -> 1)"), r.out)
        XCTAssertTrue(r.out.contains("\n30\n"), r.out)
        XCTAssertTrue(r.out.hasSuffix("after\t7\t3\n"), r.out)
    }

    func testRunThenRepl() throws {
        let script = try cli.script("answer = 41")
        let r = try piped(["run", script, "--repl"], input: "answer + 1\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasSuffix("42\n"), r.out)
    }

    func testInterruptStopsTheChunkNotTheSession() throws {
        let r = try piped(["repl"], input: "while true do end\nprint('alive')\n", interruptAfter: 0.8)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("interrupted!"), r.out)
        XCTAssertTrue(r.out.hasSuffix("alive\n"), r.out)
    }

    /// The same after a script (`run --repl`), where Ctrl-C is also a study's stop request.
    func testInterruptStopsTheChunkAfterAScript() throws {
        let script = try CLI().script("x = 41")
        let r = try piped(["run", script, "--repl"], input: "while true do end\nprint('alive', x + 1)\n", interruptAfter: 0.8)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("interrupted!"), r.out)
        XCTAssertTrue(r.out.hasSuffix("alive\t42\n"), r.out)
    }

    /// Line editing, history recall, reverse search and tab completion on a real terminal: the
    /// session runs under `script(1)`, which gives it a pseudo-terminal.
    func testTerminalEditingHistoryAndCompletion() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) not installed") }
        let history = NSTemporaryDirectory() + "descent-history-\(UUID().uuidString)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-q", "-c", "\(CLI.binary.path) repl", "/dev/null"]
        p.currentDirectoryURL = CLI.root
        p.environment = ["TERM": "dumb", "DESCENT_HISTORY": history, "NO_COLOR": "1", "PATH": "/usr/bin:/bin"]
        let inPipe = Pipe(), out = Pipe()
        (p.standardInput, p.standardOutput) = (inPipe, out)
        try p.run()
        let keys = [
            "abc = 21\r",
            "ab\t * 2\r",          // completion of a global: abc * 2
            "\u{1B}[A\r",          // up arrow: the previous line again
            "bc\u{01}a\u{05} + 1\r", // Ctrl-A, insert, Ctrl-E: abc + 1
            "junk\u{15}abc - 1\r",   // Ctrl-U erases the line
            "t = tensor.zeros{7}\r",
            "t:nu\t()\r",           // method completion: t:numel()
            "\u{12}", "* 2", "\r",   // Ctrl-R reverse search: abc * 2
            "\u{04}",
        ]
        for k in keys {
            inPipe.fileHandleForWriting.write(Data(k.utf8))
            Thread.sleep(forTimeInterval: 0.25)
        }
        try inPipe.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        p.waitUntilExit()
        let results = text.split(separator: "\n").map(String.init).filter { ["42", "22", "20", "7"].contains($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(results, ["42", "42", "22", "20", "7", "42"], text)
        let saved = try String(contentsOfFile: history)
        XCTAssertTrue(saved.contains("abc * 2\nabc * 2\nabc + 1\nabc - 1"), saved)
    }
}
