import DescentCore
import DescentHost

/// Lua model and dataset plugins, called by experiments:
///
///     return { kind = "model", name = "mlp", defaults = { hidden = 64 },
///              build = function(hyper, input) return nn.Sequential{...} end }
///     -- input = {channels =, height =, width =, classes =}; a classifier (cross-entropy)
///
///     return { kind = "dataset", name = "blobs", defaults = { n = 512 },
///              load = function(hyper, split) return images, labels end }
///     -- split "train" or "val"; images [N,C,H,W], labels [N] holding class indices 0..K-1
enum LuaBuilders {
    static func hyper(_ p: Plugin, _ args: [String: LuaValue]) throws -> Hyperparameters {
        try p.hyperparameters(try args.keys.sorted().map { k in
            guard let v = HyperMarshal.hyper(args[k]!) else { throw DescentError("\(p.kind.rawValue) '\(p.name)'", "argument \(k) must be a number, boolean, string or list, got \(args[k]!)") }
            return (k, v)
        })
    }

    static func model(_ p: Plugin, args: [String: LuaValue], input: [Int], classes: Int) throws -> Module {
        let (vm, table) = try p.lua(), place = p.place("build")
        let shape: LuaValue = .table(["channels": .integer(input[0]), "height": .integer(input[1]), "width": .integer(input[2]), "classes": .integer(classes)])
        let result: (value: LuaValue, object: Module?)
        do {
            result = try vm.callForObjects(table, "build", [.value(HyperMarshal.lua(try hyper(p, args))), .value(shape)], results: 1, as: Module.self)[0]
        } catch {
            throw ContextError("\(place): failed", error)
        }
        guard let m = result.object else { throw DescentError(place, "must return a module (nn.Sequential{...}), returned \(result.value)") }
        return m
    }

    static func dataset(_ p: Plugin, args: [String: LuaValue], split: String) throws -> ArrayDataset {
        let (vm, table) = try p.lua(), place = p.place("load")
        let results: [LuaValue]
        do {
            results = try vm.call(table, "load", [.value(HyperMarshal.lua(try hyper(p, args))), .value(.string(split))], results: 2)
        } catch {
            throw ContextError("\(place): failed", error)
        }
        guard case .tensor(let x) = results[0], case .tensor(let y) = results[1] else {
            throw DescentError(place, "must return images [N,C,H,W] and labels [N] (two tensors)")
        }
        guard x.rank == 4, y.rank == 1, y.count == x.shape[0], x.shape[0] > 0 else {
            throw DescentError(place, "images [N,C,H,W] and labels [N] expected, got \(formatShape(x.shape)) and \(formatShape(y.shape))")
        }
        let per = x.count / x.shape[0]
        var samples: [Sample] = []
        for i in 0..<y.count {
            guard let label = y.data[i].exactInteger(in: 0...maximumClassIndex) else {
                throw DescentError(place, "labels must be class indices 0...\(maximumClassIndex), got \(y.data[i]) at \(i + 1)")
            }
            samples.append(Sample(image: Array(UnsafeBufferPointer(start: x.data + i * per, count: per)), annotation: .label(label)))
        }
        return ArrayDataset(name: p.name, imageShape: Array(x.shape.dropFirst()), labelled: samples)
    }
}
