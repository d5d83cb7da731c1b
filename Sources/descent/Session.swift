import ArgumentParser
import DescentCore
import Foundation
import DescentHost
import DescentPlugins
import DescentStudies

/// What every command that runs Lua shares: the VM with the scripting API, the plugin registry
/// that owns it, and the study layer opened in it.
final class Session {
    let registry: PluginRegistry
    let experiments: ExperimentAPI
    var vm: LuaVM { registry.vm }

    init(plugins: PluginOptions, study: StudyOptions = StudyOptions()) throws {
        registry = try Session.boot(plugins)
        experiments = try ExperimentAPI(registry: registry, options: study)
        vm.builtinGlobals = REPL.globalNames(vm)
    }

    /// The plugin registry; Ctrl-C while a plugin file loads ends the command with status 130.
    static func boot(_ plugins: PluginOptions) throws -> PluginRegistry {
        do {
            return try PluginRegistry.boot(extra: plugins.directories, report: warn)
        } catch let e as LuaError where e.isInterrupt {
            warn("interrupted while loading plugins (\(e.message.components(separatedBy: ": ").first ?? ""))")
            throw ExitCode(StopRequest.exitStatus(StopRequest.signal ?? SIGINT))
        }
    }
}
