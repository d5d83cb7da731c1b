import XCTest
import DescentCore
import DescentHost
import DescentPlugins

/// Shared set-up: a VM with the bundled plugins (built into the binary) plus any extra
/// directories, and helpers to write plugin files.
open class PluginTestCase: XCTestCase {
    /// The registry owns the VM; tests that use the VM keep the registry too.
    public func boot(_ extra: [String] = []) -> (LuaVM, PluginRegistry) {
        // Runs compared bit for bit keep one thread count, whatever else the machine runs.
        setenv("DESCENT_THREADS", String(ProcessInfo.processInfo.activeProcessorCount), 0)
        let registry = try! PluginRegistry(searchPath: extra)
        XCTAssertEqual(registry.diagnostics.filter { $0.hasPrefix("error") && $0.contains("bundled:") }, [], "bundled plugins must load cleanly")
        return (registry.vm, registry)
    }

    /// A fresh directory holding `files` (name -> Lua source).
    public func directory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "descent-plugins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    /// The error `body` throws, as text.
    public func message(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error", file: file, line: line)
        return ""
    }
}
