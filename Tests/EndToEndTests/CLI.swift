import XCTest
import Foundation

/// Runs the built `descent` as a user would, from the repository root.
struct CLI {
    /// Runs compared bit for bit must not pick different thread counts because something else
    /// ran at that moment (`Parallel.threadsForNewRun`): the tests' children train with every
    /// core unless the caller set DESCENT_THREADS.
    init() { setenv("DESCENT_THREADS", String(ProcessInfo.processInfo.activeProcessorCount), 0) }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The `descent` built beside the test bundle (SwiftPM builds the executable for its tests).
    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("descent") }

    func descent(_ args: [String], binary: URL = Self.binary, in directory: URL = Self.root,
                 environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = directory
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func script(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "descent-e2e-\(UUID().uuidString).lua"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
