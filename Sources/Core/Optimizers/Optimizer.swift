/// An optimizer: updates parameters in place from their gradients, keeping per-parameter state
/// by position (the i-th parameter of every `step` call shares state i).
///
/// Hyperparameters are live: set `lr` between steps (a schedule does this every step) and the
/// next step uses it. State is owned by the optimizer — never by the caller's tables — and can
/// be read, replaced, saved and loaded (`OptimizerCheckpoint`).
public protocol Optimizer: AnyObject, CustomStringConvertible {
    /// The registered name (`adam`, `tfod_rmsprop`, `lion`).
    var name: String { get }
    /// Current hyperparameters.
    var hyper: Hyperparameters { get }
    /// Sets one hyperparameter, validated (unknown key, wrong type, out of range).
    func setHyper(_ key: String, _ value: HyperValue) throws
    /// One update of every parameter. `params[i]` and `grads[i]` must have one shape; the number
    /// of parameters and their shapes must stay the same from step to step.
    func step(_ params: [Tensor], _ grads: [Tensor]) throws
    /// Per-parameter state, by position; empty before the first step.
    var states: [OptimizerState] { get }
    /// How many parameters the state is for (0 before the first step), without building
    /// `states` (a Lua plugin's are read from its tables).
    var stateCount: Int { get }
    /// Replaces all state (checkpoint restore).
    func restore(states: [OptimizerState]) throws
}

extension Optimizer {
    public var description: String { "optim.\(name)\(hyper)" }

    public var stateCount: Int { states.count }

    /// Checks a step's arguments: one gradient per parameter, same shapes, same layout as before.
    public func checkStepArguments(_ params: [Tensor], _ grads: [Tensor], previous: Int) throws {
        guard params.count == grads.count else {
            throw DescentError("\(name).step", "one gradient per parameter expected: \(params.count) parameters, \(grads.count) gradients")
        }
        for (i, (p, g)) in zip(params, grads).enumerated() where p.shape != g.shape {
            throw DescentError("\(name).step", "gradient \(i + 1) of shape \(formatShape(p.shape)) expected (its parameter's), got \(formatShape(g.shape))")
        }
        if previous > 0, previous != params.count {
            throw DescentError("\(name).step", "\(previous) parameters expected (as in earlier steps), got \(params.count)")
        }
        // One buffer updated twice in a step (the same tensor, or two views of it) would apply
        // the update twice with the state of two positions.
        var seen: [ObjectIdentifier: Int] = [:]
        for (i, p) in params.enumerated() {
            if let first = seen.updateValue(i, forKey: ObjectIdentifier(p.storage)) {
                throw DescentError("\(name).step", "parameters \(first + 1) and \(i + 1) share memory; pass each parameter once")
            }
        }
    }
}
