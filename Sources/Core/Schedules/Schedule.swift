/// A learning-rate schedule: a pure function of the step (counted from 0).
public protocol Schedule: AnyObject, CustomStringConvertible {
    var name: String { get }
    var hyper: Hyperparameters { get }
    func setHyper(_ key: String, _ value: HyperValue) throws
    /// The learning rate at `step` (>= 0).
    func at(_ step: Int) throws -> Double
}

extension Schedule {
    public var description: String { "schedule.\(name)\(hyper)" }
}

/// A native schedule: a formula over a validated hyperparameter table.
public final class NativeSchedule: Schedule {
    public let name: String
    public let doc: String
    public private(set) var hyper: Hyperparameters
    private let validate: (Hyperparameters) throws -> Void
    private let formula: (Hyperparameters, Double) -> Double

    public init(name: String, doc: String, defaults: [(String, HyperValue)], overrides: [(String, HyperValue)],
                validate: @escaping (Hyperparameters) throws -> Void, formula: @escaping (Hyperparameters, Double) -> Double) throws {
        self.name = name
        self.doc = doc
        self.validate = validate
        self.formula = formula
        hyper = Hyperparameters(owner: name, defaults: defaults)
        try hyper.merge(overrides)
        try validate(hyper)
    }

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        var h = hyper
        try h.set(key, value)
        try validate(h)
        hyper = h
    }

    public func at(_ step: Int) throws -> Double {
        guard step >= 0 else { throw DescentError.argument("\(name).at", "step", "must be >= 0, got \(step)") }
        return formula(hyper, Double(step))
    }
}
