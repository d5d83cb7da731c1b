import DescentCore
import DescentHost

/// The `tfod` global of study scripts.
struct TFODLibrary: LuaLibrary {
    var globals: [String] { ["tfod"] }

    /// `tfod.import(path [, {tf = 1 or 2, keras = 2 or 3, steps = N}])`: a TF OD API pipeline.config's
    /// train_config as a run table (`study:run(tfod.import("pipeline.config"))`); TF2 with Keras 2
    /// unless `tf = 1` or `keras = 3`.
    func open(in vm: LuaVM) throws {
        try vm.load("tfod = { import = ... }", name: "=tfod")
        vm.pushFunction("tfod.import") { vm, a in
            let path = try a.path(1)
            var version = PipelineImport.Version.tf2
            var steps: Int? = nil
            switch vm.value(at: 2) {
            case .nil: break
            case .table(let t) where t.keys.allSatisfy({ ["tf", "keras", "steps"].contains($0) }):
                if let v = t["tf"] {
                    guard let n = v.number, n == 1 || n == 2 else { throw a.fail(2, "tf must be 1 or 2") }
                    version = n == 1 ? .tf1 : .tf2
                }
                if let v = t["keras"] {
                    guard let n = v.number, n == 2 || n == 3 else { throw a.fail(2, "keras must be 2 or 3") }
                    if n == 3 {
                        guard version == .tf2 else { throw a.fail(2, "keras = 3 is a TF2 setting; tf = 1 has no Keras") }
                        version = .keras3
                    }
                }
                if let v = t["steps"] {
                    guard let n = v.number?.exactInteger(in: 1...(1 << 31)) else { throw a.fail(2, "steps must be an integer from 1 to 2^31, got \(v)") }
                    steps = n
                }
            default: throw a.fail(2, "options {tf = 1 or 2, keras = 2 or 3, steps = N} expected")
            }
            vm.push(.table(try PipelineImport.load(path, version: version, steps: steps).run))
            return 1
        }
        try vm.pcall(arguments: 1, results: 0)
    }
}
