import XCTest
import DescentCore
import DescentHost
@testable import DescentPlugins

/// Shared set-up: a VM with the shipped plugins (found from this file's path, not the
/// executable's) plus any extra directories, and helpers to write plugin files.
class PluginTestCase: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts").path

    /// The registry owns the VM; tests that use the VM keep the registry too.
    func boot(_ extra: [String] = []) -> (LuaVM, PluginRegistry) {
        let vm = LuaVM()
        let registry = PluginRegistry(vm: vm, searchPath: [Self.scripts + "/optimizers", Self.scripts + "/schedules"] + extra)
        registry.install()
        XCTAssertEqual(registry.diagnostics.filter { $0.hasPrefix("error") && $0.contains(Self.scripts) }, [], "shipped plugins must load cleanly")
        return (vm, registry)
    }

    /// A fresh directory holding `files` (name -> Lua source).
    func directory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "descent-plugins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    /// The error `body` throws, as text.
    func message(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error", file: file, line: line)
        return ""
    }
}
