/// A hyperparameter's name, type and default, declared once beside the optimizer that reads
/// it: `hyper[Adam.beta1]` is checked by the compiler, where a misspelt string key only failed
/// at run time.
public struct HyperKey<Value> {
    public let name: String
    public let initial: HyperValue

    /// The (name, default) pair of a defaults table, with `value` in place of the default.
    public func entry(_ value: HyperValue? = nil) -> (String, HyperValue) { (name, value ?? initial) }
}

extension HyperKey where Value == Double {
    public init(_ name: String, _ initial: Double) { self.init(name: name, initial: .number(initial)) }
}

extension HyperKey where Value == Bool {
    public init(_ name: String, _ initial: Bool) { self.init(name: name, initial: .bool(initial)) }
}

extension HyperKey where Value == String {
    public init(_ name: String, _ initial: String) { self.init(name: name, initial: .string(initial)) }
}

extension Hyperparameters {
    public subscript(key: HyperKey<Double>) -> Double { number(key.name) }
    public subscript(key: HyperKey<Bool>) -> Bool { bool(key.name) }
    public subscript(key: HyperKey<String>) -> String { string(key.name) }
}
