/// Saves and restores a model's parameters, buffers (batch-norm statistics) and layer
/// generators (dropout) through a `TensorArchive`, under `<prefix><path>` names such as
/// `model.0.weight`, `model.2.running_mean`, `model.5.rng`. Restoring writes into the model's
/// own tensors and requires the same architecture: every tensor present, same shapes, nothing extra.
public enum ModelCheckpoint {
    /// The archive holds the model's own tensors (as `OptimizerCheckpoint` holds the optimizer's):
    /// save it before the model trains on.
    public static func store(_ model: Module, into archive: inout TensorArchive, prefix: String = "model.") {
        for (name, t) in model.namedTensors() { archive[prefix + name] = .tensor(t) }
        for (path, m) in model.namedModules() {
            if let g = m.generator { archive[prefix + (path.isEmpty ? "" : path + ".") + "rng"] = .words(g.words) }
        }
    }

    public static func restore(_ model: Module, from archive: TensorArchive, path: String, prefix: String = "model.") throws {
        let named = model.namedTensors()
        var expected = Set<String>()
        for (name, t) in named {
            let key = prefix + name
            expected.insert(key)
            guard case .tensor(let saved)? = archive[key] else {
                throw DescentError.file(path, "holds no tensor '\(name)' of this model (a different architecture?)")
            }
            guard saved.shape == t.shape else {
                throw DescentError.file(path, "tensor '\(name)' has shape \(formatShape(saved.shape)) there, the model's is \(formatShape(t.shape))")
            }
        }
        var generators: [(Module, RandomGenerator)] = []
        for (p, m) in model.namedModules() where m.generator != nil {
            let key = prefix + (p.isEmpty ? "" : p + ".") + "rng"
            expected.insert(key)
            guard case .words(let w)? = archive[key] else { throw DescentError.file(path, "holds no generator state of layer '\(p)'") }
            do { generators.append((m, try RandomGenerator(words: w))) } catch { throw DescentError.file(path, "generator of layer '\(p)': \(error)") }
        }
        if let extra = archive.names.first(where: { $0.hasPrefix(prefix) && !expected.contains($0) }) {
            throw DescentError.file(path, "holds '\(extra.dropFirst(prefix.count))', which this model does not have (a different architecture?)")
        }
        // Everything checked: now write, so a bad file leaves the model as it was.
        for (name, t) in named {
            if case .tensor(let saved)? = archive[prefix + name] { try t.copy_(saved) }
        }
        for (m, g) in generators { m.generator = g }
    }
}
