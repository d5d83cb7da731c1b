import XCTest
import Foundation

/// Scripts that once crashed, hung or corrupted the host, each in a child process: every case
/// must end in a Lua error (or nothing), and the process must finish normally.
final class HostileScriptTests: XCTestCase {
    let cli = CLI()

    func testMetatableTricksCyclesAndDeepTables() throws {
        // {expected error fragment or "" for no error, chunk}
        let cases: [(String, String)] = [
            ("cannot add a container to itself", "local s = nn.Sequential{nn.ReLU()}; s:add(s)"),
            ("cannot add to a container that is inside another",
             "local s = nn.Sequential{nn.ReLU()}; local outer = nn.Sequential{s}; s:add(outer)"),
            ("containers may nest at most 100 levels deep",
             "local t = nn.Linear{input = 2, output = 2} for i = 1, 150 do t = nn.Sequential{t} end"),
            ("cannot add to a container that is inside another",
             "local root = nn.Sequential{} local cur = root for i = 1, 100000 do local n = nn.Sequential{} cur:add(n) cur = n end"),
            ("", "getmetatable(tensor.zeros{1}).__gc(io.stdout)"),
            ("bad argument #1 to 'numel' (tensor expected, got userdata)",
             "debug.setmetatable(io.stdout, getmetatable(tensor.zeros{1})); return io.stdout:numel()"),
            ("nested table of numbers expected",
             "local t = {} local cur = t for i = 1, 40 do cur[1] = {} cur = cur[1] end cur[1] = 1 return tensor.from(t)"),
            ("nested table of numbers expected", "local t = {1} for i = 1, 27 do t = {t, t} end return tensor.from(t)"),
            ("unknown option 'x'", "local o = {} local cur = o for i = 1, 100 do cur.x = {} cur = cur.x end return nn.Conv2d(o)"),
            ("attempt to load a binary chunk", "assert(load(string.dump(function() return 1 end)))()"),
            ("attempt to load a binary chunk", "assert(load(string.dump(function() return 1 end), 'x', 'b'))()"),
            ("match: pattern", "optim.new('sgd', {}, {groups = {{match = string.rep('(.-)', 60) .. 'x'}}})"),
            ("nn.CrossEntropy: output with at least one class", "nn.CrossEntropy():forward(tensor.zeros{2,0}, tensor.from{0,0})"),
            ("reads unknown tensor 0", "local _, compile = debug.getupvalue(optim.kernel, 6) compile({'p'}, {}, {{'tensor'}, {'add', 1}}, {{1, 2}})"),
            ("", "local _, compile = debug.getupvalue(optim.kernel, 6) pcall(compile, {'p'}, {}, {{'tensor', 0/0}, {'add', 1e300, -5}}, {{1, 2}})"),
            ("shape may have at most 32 dimensions", "local s = {} for i = 1, 100 do s[i] = 1 end return tensor.zeros{1}:reshape(s):totable()"),
        ]
        let script = "local cases = {\n" + cases.map { "  {\(lua($0.0)), \(lua($0.1))},\n" }.joined() + """
            }
            for i, c in ipairs(cases) do
              local ok, err = pcall(load(c[2]))
              if c[1] == "" then assert(ok, "case " .. i .. ": " .. tostring(err))
              else assert(not ok and tostring(err):find(c[1], 1, true), "case " .. i .. ": " .. tostring(err)) end
            end
            print("survived", tensor.ones{3}:sum())
            """
        let r = try cli.descent(["run", try cli.script(script)])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "survived\t3.0\n", r.err)
    }

    /// The tensor limit guards what a path really allocates: oneDNN needs no column buffer for a
    /// big kernel on a big image, im2col does (1.6 GB here, against a 100 MB limit).
    func testColumnBuffersAreCheckedOnlyWhereUsed() throws {
        let script = try cli.script("""
            local c = nn.Conv2d{input = 64, output = 64, kernel = 7, padding = 3}
            local ok, err = pcall(c.forward, c, tensor.zeros{1, 64, 256, 256})
            print(ok, ok or err:match("cannot allocate %d+ bytes"))
            """)
        setenv("DESCENT_MAX_TENSOR_BYTES", "100000000", 1)
        defer { unsetenv("DESCENT_MAX_TENSOR_BYTES"); unsetenv("DESCENT_CONV") }
        XCTAssertEqual(try cli.descent(["run", script]).out, "true\ttrue\n")
        setenv("DESCENT_CONV", "im2col", 1)
        let r = try cli.descent(["run", script])
        XCTAssertTrue(r.out.hasPrefix("false\tcannot allocate "), r.out + r.err)
    }

    /// Out of memory where a script asked for it is a Lua error; malformed numeric settings in
    /// the environment are refused before anything runs.
    func testOutOfMemoryAndBadSettingsAreMessages() throws {
        let script = try cli.script("""
            print(pcall(tensor.zeros, {1024, 1024, 1024}))
            print(tensor.ones{3}:sum())
            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v 3000000; exec \"$0\" run \"$1\"", CLI.binary.path, script]
        p.environment = ProcessInfo.processInfo.environment.merging(["DESCENT_MAX_TENSOR_BYTES": "100000000000"]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(text, "false\tzeros: out of memory allocating 4294967296 bytes for a tensor\n3.0\n")
        for (name, value) in [("DESCENT_THREADS", "abc"), ("DESCENT_THREADS", "0"), ("DESCENT_THREADS", "100000"),
                              ("DESCENT_MAX_TENSOR_BYTES", "-1"), ("DESCENT_MAX_TENSOR_BYTES", "1e9"), ("DESCENT_MAX_TENSOR_BYTES", "99999999999999999999")] {
            let r = try cli.descent(["run", script], environment: [name: value])
            XCTAssertEqual(r.status, 2, "\(name)=\(value)")
            XCTAssertTrue(r.err.hasPrefix("descent: \(name): an integer from 1"), r.err)
        }
    }

    /// `require` never looks in the current directory, and a precompiled file is refused.
    func testRequireIgnoresTheCurrentDirectoryAndBinaryChunks() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "descent-cwd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "print('loaded from cwd')".write(to: dir.appendingPathComponent("planted.lua"), atomically: true, encoding: .utf8)
        let script = try cli.script("""
            print(pcall(require, "planted"))
            print(package.path:find("./", 1, true) == 1 or package.path:find(";./", 1, true) ~= nil)
            local f = io.open("\(dir.path)/bin.lua", "wb"); f:write(string.dump(function() return 1 end)); f:close()
            print(pcall(dofile, "\(dir.path)/bin.lua"))
            print(loadfile("\(dir.path)/bin.lua"))
            """)
        let r = try cli.descent(["run", script], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(r.out.contains("loaded from cwd"), r.out)
        XCTAssertTrue(r.out.contains("false\tmodule 'planted' not found"), r.out)
        XCTAssertTrue(r.out.contains("\nfalse\n"), r.out)
        XCTAssertEqual(r.out.components(separatedBy: "attempt to load a binary chunk").count, 3, r.out)
    }

    private func lua(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
}
