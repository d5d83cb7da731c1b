import CLua
import DescentCore
import Foundation

/// Installs the scripting contract of DESIGN.md into a VM: the globals `tensor`, `nn`,
/// `optim`, `schedule`, `clock`, and the same table as `require "descent"`.
enum DescentAPI {
    /// Every name `require "descent"` returns; names installed by later layers (experiments,
    /// plots, the REPL) are looked up when the module is first required.
    static let exported = ["tensor", "nn", "optim", "schedule", "clock", "experiment", "run", "sweep", "data", "plot", "repl", "params"]

    static func install(_ vm: LuaVM) {
        TensorBindings.install(vm)
        NNBindings.install(vm)
        OptimBindings.install(vm)
        KernelBindings.install(vm)
        REPLFunction.install(vm)
        vm.pushFunction("clock") { vm, _ in
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            lua_pushnumber(vm.L, Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
            return 1
        }
        lua_setglobal(vm.L, "clock")
        let names = exported.map { "\"\($0)\"" }.joined(separator: ", ")
        try! vm.run("""
            local names = {\(names)}
            package.preload["descent"] = function()
              local api = {}
              for _, name in ipairs(names) do api[name] = _G[name] end
              return api
            end
            """, name: "=descent")
    }
}
