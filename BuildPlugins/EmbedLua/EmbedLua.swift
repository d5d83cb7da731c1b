import Foundation
import PackagePlugin

/// Compiles the Lua shipped with a target into it (see Sources/embed-lua): each target names the
/// package folders whose `.lua` files (and the report's `.js` and `.css`) it ships. Nothing is then read from disk at run time, so the
/// `descent` binary behaves the same wherever it is copied, and never loads Lua from the
/// current directory by accident.
@main
struct EmbedLua: BuildToolPlugin {
    static let folders: [String: [String]] = [
        "DescentHost": ["Sources/Host/Lua"],
        "DescentPlugins": ["scripts/optimizers", "scripts/schedules", "scripts/transforms"],
        "DescentStudies": ["Sources/Studies/Lua", "Sources/Studies/Web"],
        "DescentBench": ["Sources/Bench/Lua", "bench"],
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let files = try (Self.folders[target.name] ?? []).flatMap { folder in
            try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
                .filter { ["lua", "js", "css"].contains($0.pathExtension) }
        }.sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedLua.swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) Lua files into \(target.name)",
            executable: try context.tool(named: "embed-lua").url,
            arguments: [output.path, root.path] + files.map(\.path),
            inputFiles: files,
            outputFiles: [output])]
    }
}
