import DescentCore
import Foundation

/// A run's checkpoint file, `<run>/checkpoint.dtar`: the model (parameters, batch-norm
/// statistics, dropout generators), the optimizer (state of every parameter, native or Lua, and
/// its live hyperparameters), the loop's `RunState`, and the configuration hash it belongs to.
/// Written atomically, so a kill during a save keeps the previous checkpoint.
enum RunCheckpoint {
    static let file = "checkpoint.dtar"

    static func save(to path: String, configHash: String, model: Module, optimizer: Optimizer, state: RunState) throws {
        var archive = TensorArchive()
        archive["kind"] = .string("run")
        archive["config_hash"] = .string(configHash)
        archive["state"] = .string(try state.encoded())
        ModelCheckpoint.store(model, into: &archive)
        OptimizerCheckpoint.store(optimizer, into: &archive)
        try archive.save(to: path)
    }

    /// Restores model and optimizer from `path` and returns the loop state. Everything is
    /// checked before anything changes; a mismatch is an error naming the path and the reason.
    /// `validate` checks the loop state against the run before anything is restored.
    static func restore(from path: String, configHash: String, model: Module, optimizer: Optimizer,
                        validate: (RunState) throws -> Void) throws -> RunState {
        let archive = try TensorArchive.load(path)
        guard case .string("run")? = archive["kind"] else { throw DescentError.file(path, "not a run checkpoint") }
        let hash = try archive.string("config_hash", path: path)
        guard hash == configHash else { throw DescentError.file(path, "belongs to another configuration of this run") }
        let state = try RunState.decode(try archive.string("state", path: path), path: path)
        try validate(state)
        try ModelCheckpoint.restore(model, from: archive, path: path)
        try OptimizerCheckpoint.restore(optimizer, from: archive, path: path)
        return state
    }

    /// Moves an unusable checkpoint out of the way, beside it and named with the time, so the
    /// run starts over without meeting it again and nothing is deleted; returns the new path.
    static func setAside(_ path: String) throws -> String {
        let aside = URL(fileURLWithPath: path).deletingLastPathComponent().path + "/checkpoint.rejected-\(Int(Date().timeIntervalSince1970)).dtar"
        guard rename(path, aside) == 0 else { throw DescentError.file(path, "cannot set the checkpoint aside (\(String(cString: strerror(errno))))") }
        return aside
    }
}
