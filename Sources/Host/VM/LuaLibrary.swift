/// A namespace of the scripting API that a VM opens on purpose, in the manner of Lua's
/// `luaL_requiref`: a new `LuaVM` has Lua's standard libraries and nothing of Descent, and each
/// layer opens what it provides (Host: tensor, nn, optim, kernel, repl; Studies: experiment).
public protocol LuaLibrary {
    /// The globals it installs; `require "descent"` returns them as fields too.
    var globals: [String] { get }
    func open(in vm: LuaVM) throws
}

extension LuaVM {
    /// Opens `library`: installs its globals and adds them to the `descent` module.
    public func open(_ library: LuaLibrary) throws {
        try library.open(in: self)
        for name in library.globals where !openedGlobals.contains(name) { openedGlobals.append(name) }
    }

    /// A VM with the whole scripting API of this layer: tensors and modules, optimizers and
    /// schedules made by `catalog`, fused kernels, `repl()`, `clock()` and `require "descent"`.
    /// Pass `retained: false` for a catalog that owns the VM.
    public static func scripting(catalog: ObjectCatalog = NativeCatalog(), retained: Bool = true) throws -> LuaVM {
        let vm = LuaVM()
        for library: LuaLibrary in [TensorLibrary(), OptimLibrary(catalog: catalog, retained: retained), KernelLibrary(), REPLLibrary(), DescentModule()] {
            try vm.open(library)
        }
        return vm
    }
}
