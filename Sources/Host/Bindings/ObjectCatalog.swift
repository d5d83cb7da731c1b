import DescentCore

/// Where `optim.new` and `schedule.new` get their objects by name. Host knows the natives;
/// Plugins' registry adds the Lua plugin files and is handed to `OptimLibrary` instead.
public protocol ObjectCatalog: AnyObject {
    func makeOptimizer(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Optimizer
    func makeSchedule(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Schedule
    func makeTransform(_ name: String, _ hyper: [(String, HyperValue)]) throws -> GradientTransform
    var optimizerNames: [String] { get }
    var scheduleNames: [String] { get }
}

extension ObjectCatalog {
    /// Transforms come from Lua plugin files; the natives are `optim.clip_by_global_norm` & co.
    public func makeTransform(_ name: String, _ hyper: [(String, HyperValue)]) throws -> GradientTransform {
        throw DescentError("optim.transform", "unknown transform '\(name)' (none are loaded)")
    }
}

/// The native optimizers and schedules only.
public final class NativeCatalog: ObjectCatalog {
    public init() {}
    public func makeOptimizer(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Optimizer { try NativeOptimizers.make(name, hyper) }
    public func makeSchedule(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Schedule { try NativeSchedules.make(name, hyper) }
    public var optimizerNames: [String] { NativeOptimizers.all.map(\.name) }
    public var scheduleNames: [String] { NativeSchedules.all.map(\.name) }
}
