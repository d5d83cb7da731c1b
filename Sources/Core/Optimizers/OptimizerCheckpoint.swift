/// Saves and restores an optimizer's per-parameter state (native or Lua) and hyperparameters
/// through a `TensorArchive`, under names `optimizer.state.<i>.<key>`.
public enum OptimizerCheckpoint {
    public static func store(_ opt: Optimizer, into archive: inout TensorArchive, prefix: String = "optimizer.") {
        archive[prefix + "name"] = .string(opt.name)
        archive[prefix + "count"] = .number(Double(opt.states.count))
        for (i, s) in opt.states.enumerated() {
            archive["\(prefix)state.\(i).keys"] = .string(s.keys.joined(separator: ","))
            for (k, v) in s.pairs {
                switch v {
                case .tensor(let t): archive["\(prefix)state.\(i).\(k)"] = .tensor(t)
                case .number(let n): archive["\(prefix)state.\(i).\(k)"] = .number(n)
                }
            }
        }
        for (k, v) in opt.hyper.pairs {
            switch v {
            case .number(let n): archive["\(prefix)hyper.\(k)"] = .number(n)
            case .string(let s): archive["\(prefix)hyper.\(k)"] = .string(s)
            case .bool(let b): archive["\(prefix)hyper.\(k)"] = .number(b ? 1 : 0)
            case .list: break
            }
        }
    }

    public static func restore(_ opt: Optimizer, from archive: TensorArchive, path: String, prefix: String = "optimizer.") throws {
        guard case .string(let name)? = archive[prefix + "name"] else { throw DescentError.file(path, "checkpoint holds no optimizer state") }
        guard name == opt.name else { throw DescentError.file(path, "checkpoint holds state of optimizer '\(name)', not '\(opt.name)'") }
        let stored = try archive.number(prefix + "count", path: path)
        guard let count = stored.exactInteger(in: 0...(1 << 24)) else { throw DescentError.file(path, "bad parameter count \(stored)") }
        var states: [OptimizerState] = []
        for i in 0..<count {
            guard case .string(let keys)? = archive["\(prefix)state.\(i).keys"] else { throw DescentError.file(path, "missing state keys of parameter \(i + 1)") }
            let s = OptimizerState()
            for k in keys.split(separator: ",").map(String.init) {
                switch archive["\(prefix)state.\(i).\(k)"] {
                case .tensor(let t)?: s[k] = .tensor(t)
                case .number(let n)?: s[k] = .number(n)
                default: throw DescentError.file(path, "missing state '\(k)' of parameter \(i + 1)")
                }
            }
            states.append(s)
        }
        for (k, v) in opt.hyper.pairs {
            switch (v, archive["\(prefix)hyper.\(k)"]) {
            case (.number, .number(let n)?): try opt.setHyper(k, .number(n))
            case (.bool, .number(let n)?): try opt.setHyper(k, .bool(n != 0))
            case (.string, .string(let s)?): try opt.setHyper(k, .string(s))
            default: break
            }
        }
        try opt.restore(states: states)
    }
}
