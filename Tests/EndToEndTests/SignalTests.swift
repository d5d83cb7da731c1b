import XCTest
import Foundation

/// Stopping studies as a user does: Ctrl-C (SIGINT) and SIGTERM from a scheduler, with and
/// without `--jobs`; then the same command again, which resumes.
final class SignalTests: XCTestCase {
    let cli = CLI()

    func out() -> String { NSTemporaryDirectory() + "descent-e2e-signal-\(UUID().uuidString)" }

    func study(steps: Int = 400) throws -> String {
        try cli.script("""
            local e = experiment { name = "sig", model = "detector", model_args = { width = 4, depth = 0 },
              dataset = "street_scenes", dataset_args = { train = 32, val = 8 }, size = 32, steps = \(steps), batch = 4,
              eval_every = 100, checkpoint_every = 50, augment = { flip = 0.5 } }
            e:run { name = "lion", optimizer = "lion", hyper = { lr = 1e-4 } }
            e:run { name = "adam", optimizer = "adam" }
            """)
    }

    /// Starts `descent run` and sends `signal` once `ready` holds (polled), or fails after 60 s.
    func stop(_ args: [String], with signal: Int32, when ready: () -> Bool) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        p.currentDirectoryURL = CLI.root
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("descent-signal-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        for _ in 0..<600 where !ready() && p.isRunning { usleep(100_000) }
        XCTAssertTrue(p.isRunning, "the study ended before it could be stopped")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    func metrics(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var f = line.split(separator: ",", omittingEmptySubsequences: false)
            f.remove(at: 3)
            return f.joined(separator: ",")
        }
    }

    func summary(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func testCtrlCStopsTheStudyAndTheSameCommandResumesIt() throws {
        let script = try study(), dir = out(), whole = out()
        let fm = FileManager.default
        let r = try stop(["run", script, "--out", dir], with: SIGINT) { fm.fileExists(atPath: dir + "/sig/lion/checkpoint.dtar") }
        XCTAssertEqual(r.status, 130, r.out)
        XCTAssertTrue(r.out.contains("stopped by Ctrl-C; run the same command again to resume the study"), r.out)
        XCTAssertTrue(r.out.contains("lion  interrupted"), r.out)
        XCTAssertTrue(r.out.contains("adam  incomplete"), r.out)
        XCTAssertEqual(try summary(dir + "/sig/lion/summary.json")["status"] as? String, "interrupted")
        XCTAssertFalse(fm.fileExists(atPath: dir + "/sig/adam/metrics.csv"), "no run starts after Ctrl-C")
        let again = try cli.descent(["run", script, "--out", dir])
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertTrue(again.out.contains("lion  resuming at step"), again.out)
        XCTAssertEqual(try cli.descent(["run", script, "--out", whole]).status, 0)
        for run in ["lion", "adam"] {
            XCTAssertEqual(try metrics("\(dir)/sig/\(run)/metrics.csv"), try metrics("\(whole)/sig/\(run)/metrics.csv"), run)
        }
        let third = try cli.descent(["run", script, "--out", dir])
        XCTAssertTrue(third.out.contains("lion  already done with this configuration (400 steps)"), third.out)
    }

    func testSigtermStopsWorkersWhichCheckpoint() throws {
        // Long enough that neither run finishes between the two checkpoints and the signal.
        let script = try study(steps: 3000), dir = out()
        let fm = FileManager.default
        let r = try stop(["run", script, "--out", dir, "--jobs", "2"], with: SIGTERM) {
            fm.fileExists(atPath: dir + "/sig/lion/checkpoint.dtar") && fm.fileExists(atPath: dir + "/sig/adam/checkpoint.dtar")
        }
        XCTAssertEqual(r.status, 143, r.out)
        for run in ["lion", "adam"] {
            XCTAssertEqual(try summary("\(dir)/sig/\(run)/summary.json")["status"] as? String, "interrupted", run)
        }
        let again = try cli.descent(["run", script, "--out", dir, "--jobs", "2"])
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertEqual(again.out.components(separatedBy: "resuming at step").count - 1, 2, again.out)
    }

    /// A worker killed outright leaves its run `failed` with the reason, in the table and the
    /// report, and the study exits 1.
    func testAKilledWorkerIsAFailedRunAndExitOne() throws {
        let dir = out()
        let script = try cli.script("""
            local e = experiment { name = "k", model = "detector", model_args = { width = 4, depth = 0 },
              dataset = "street_scenes", dataset_args = { train = 32, val = 8 }, size = 32, steps = 4000, batch = 4, eval_every = 0,
              checkpoint_every = 50 }
            e:run { name = "victim" }
            e:run { name = "short", steps = 3 }
            """)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", script, "--out", dir, "--jobs", "2"]
        let output = Pipe()
        p.standardOutput = output
        p.standardError = output
        try p.run()
        var victim: Int32? = nil
        for _ in 0..<300 where victim == nil {
            usleep(100_000)
            if FileManager.default.fileExists(atPath: dir + "/k/victim/checkpoint.dtar") { victim = lockHolder(dir + "/k/victim") }
        }
        guard let victim else { p.terminate(); return XCTFail("the worker never started") }
        kill(victim, SIGKILL)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1, text)
        XCTAssertTrue(text.contains("victim  failed"), text)
        XCTAssertTrue(text.contains("1 run failed: k/victim"), text)
        let s = try summary(dir + "/k/victim/summary.json")
        XCTAssertEqual(s["error"] as? String, "worker killed by signal 9 before writing its summary")
        XCTAssertTrue(try String(contentsOfFile: dir + "/k/report.html", encoding: .utf8).contains("victim"))
        // Killed (by the OOM killer, say) is not a verdict on the training: the next run resumes
        // from the checkpoint it left instead of deleting it.
        let again = try cli.descent(["run", script, "--out", dir, "--jobs", "2"])
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertTrue(again.out.contains("victim  resuming at step"), again.out)
    }

    /// The ways a study's process is told to go besides Ctrl-C and SIGTERM: the terminal closes
    /// (SIGHUP), the reader of its output goes away (`descent run s.lua | head -1`: SIGPIPE),
    /// SIGQUIT. Each checkpoints, writes the summary and exits 128 + signal.
    func testHangupPipeAndQuitStopLikeSigterm() throws {
        let fm = FileManager.default
        for signal in [SIGHUP, SIGQUIT] {
            let script = try study(steps: 3000), dir = out()
            let r = try stop(["run", script, "--out", dir], with: signal) { fm.fileExists(atPath: dir + "/sig/lion/checkpoint.dtar") }
            XCTAssertEqual(r.status, 128 + signal, r.out)
            XCTAssertFalse(r.out.contains("crashed"), r.out)
            XCTAssertEqual(try summary(dir + "/sig/lion/summary.json")["status"] as? String, "interrupted", "signal \(signal)")
        }
        // Standard output a pipe whose reader closes it after the first line.
        let script = try study(steps: 3000), dir = out()
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", script, "--out", dir]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<600 where !fm.fileExists(atPath: dir + "/sig/lion/checkpoint.dtar") { usleep(100_000) }
        try pipe.fileHandleForReading.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 128 + SIGPIPE)
        XCTAssertEqual(try summary(dir + "/sig/lion/summary.json")["status"] as? String, "interrupted")
    }

    /// No thread but the listener can receive a stop signal: a handler running on a thread
    /// inside oneDNN's JIT GEMM (whose rsp points into the heap) corrupted the heap. Read from
    /// /proc while a two-thread study trains: every thread blocks SIGINT, SIGTERM, SIGHUP and
    /// SIGQUIT (the listener takes them with sigwait).
    func testEveryThreadBlocksTheStopSignals() throws {
        let script = try study(steps: 300_000), dir = out()
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", script, "--out", dir]
        p.environment = ProcessInfo.processInfo.environment.merging(["DESCENT_THREADS": "2"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: dir + "/sig/lion/checkpoint.dtar") { usleep(100_000) }
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(p.processIdentifier)/task")
        XCTAssertGreaterThan(tasks.count, 2, "the study runs a listener and a pool thread besides the main one")
        var listeners = 0
        for task in tasks {
            let status = try String(contentsOfFile: "/proc/\(p.processIdentifier)/task/\(task)/status", encoding: .utf8)
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
                  let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return XCTFail("no SigBlk for task \(task)") }
            let name = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/task/\(task)/comm", encoding: .utf8)) ?? ""
            // The listener blocks everything (SIGUSR2 too); in sigwait its waited signals show
            // unblocked. Pool threads (descent-pool-N) block every signal sent to the process.
            if mask & (1 << UInt64(SIGUSR2 - 1)) != 0, !name.hasPrefix("descent-pool") { listeners += 1; continue }
            for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
                XCTAssertNotEqual(mask & (1 << UInt64(sig - 1)), 0, "thread \(task) can receive signal \(sig)")
            }
        }
        XCTAssertEqual(listeners, 1)
    }

    /// The handler that tells the Lua host runs on an alternate stack: Debian's oneDNN points rsp
    /// into the heap inside its JIT GEMM kernels, and a handler on the normal stack wrote its
    /// frame there (glibc: "corrupted size vs. prev_size"; oneDNN issue 4845). A Lua optimizer
    /// multiplying matrices through nn.Linear trains while the test sends thousands of wake-ups.
    func testSignalsDuringGEMMLeaveTheHeapIntact() throws {
        let plugins = out()
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try """
            return { kind = "optimizer", name = "gram", doc = "sgd scaled by the norm of G G^T, through nn.Linear", defaults = { lr = 0.01 },
              update = function(p, g, state, hyper)
                local s = p:shape()
                if #s < 2 then p:add_(g, -hyper.lr) return end
                local r = s[1]; local c = p:numel() // r
                local m = g:reshape{r, c}
                local lin = nn.Linear{input = c, output = r, bias = false}
                lin.weight:copy_(m)
                p:add_(g, -hyper.lr / (1 + lin:forward(m):norm() * 1e-6))
              end }
            """.write(toFile: plugins + "/gram.lua", atomically: true, encoding: .utf8)
        let script = try cli.script("""
            local e = experiment { name = "gemm", model = "detector", model_args = { width = 16, depth = 1 }, dataset = "street_scenes",
              dataset_args = { train = 64, val = 8 }, size = 64, steps = 150, batch = 4, eval_every = 0, optimizer = "gram" }
            e:run { name = "a" }
            """)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["run", script, "--plugins", plugins, "--out", out()]
        p.environment = ProcessInfo.processInfo.environment.merging(["DESCENT_THREADS": "1"]) { $1 }
        let output = Pipe()
        (p.standardOutput, p.standardError) = (output, output)
        try p.run()
        let pid = p.processIdentifier
        let sender = Thread {
            usleep(300_000)
            while kill(pid, SIGUSR2) == 0 { usleep(100) }
        }
        sender.start()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("a  done"), text)
    }

    /// One Ctrl-C stops a command whose plugin file never finishes loading.
    func testOneCtrlCStopsAPluginThatLoopsAtLoad() throws {
        let plugins = out()
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try "while true do end".write(toFile: plugins + "/loops.lua", atomically: true, encoding: .utf8)
        let script = try cli.script("print('the script ran')")
        for args in [["plugins", "--plugins", plugins], ["repl", "--plugins", plugins], ["run", script, "--plugins", plugins]] {
            let started = Date()
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = args
            let output = Pipe()
            (p.standardInput, p.standardOutput, p.standardError) = (Pipe(), output, output)
            try p.run()
            usleep(700_000)
            kill(p.processIdentifier, SIGINT)
            for _ in 0..<100 where p.isRunning { usleep(100_000) }
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 130, "\(args[0]): \(text)")
            XCTAssertFalse(text.contains("the script ran"), text)
            XCTAssertLessThan(Date().timeIntervalSince(started), 9, "\(args[0]) ignored the first Ctrl-C")
        }
    }

    /// The process holding a run directory's lock: the worker training it.
    func lockHolder(_ dir: String) -> Int32? {
        guard let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8),
              let attributes = try? FileManager.default.attributesOfItem(atPath: dir + "/.lock"),
              let inode = attributes[.systemFileNumber] as? UInt64 else { return nil }
        for line in locks.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 5, f[1] == "FLOCK", f[5].hasSuffix(":\(inode)"), let pid = Int32(f[4]) else { continue }
            return pid
        }
        return nil
    }
}
