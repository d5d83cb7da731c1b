import DescentHost

/// The `tfod` global of study scripts.
struct TFODLibrary: LuaLibrary {
    var globals: [String] { ["tfod"] }

    /// `tfod.import(path [, {tf = 1 or 2}])`: a TF OD API pipeline.config's train_config as a
    /// run table (`study:run(tfod.import("pipeline.config"))`); TF2 unless `tf = 1`.
    func open(in vm: LuaVM) throws {
        try vm.load("tfod = { import = ... }", name: "=tfod")
        vm.pushFunction("tfod.import") { vm, a in
            let path = try a.path(1)
            var version = PipelineImport.Version.tf2
            switch vm.value(at: 2) {
            case .nil: break
            case .table(let t) where t.keys.allSatisfy({ $0 == "tf" }):
                guard let v = t["tf"]?.number, let parsed = PipelineImport.Version(rawValue: Int(exactly: v) ?? 0) else { throw a.fail(2, "tf must be 1 or 2") }
                version = parsed
            default: throw a.fail(2, "options {tf = 1 or 2} expected")
            }
            vm.push(.table(try PipelineImport.load(path, version: version).run))
            return 1
        }
        try vm.pcall(arguments: 1, results: 0)
    }
}
