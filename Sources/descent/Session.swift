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
        registry = try PluginRegistry.boot(extra: plugins.directories, report: warn)
        experiments = try ExperimentAPI(registry: registry, options: study)
        vm.builtinGlobals = REPL.globalNames(vm)
    }
}
