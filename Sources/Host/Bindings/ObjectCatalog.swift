import DescentCore

/// Where `optim.new` and `schedule.new` get their objects by name. Host knows the natives;
/// Plugins' registry adds the Lua plugin files and is handed to `OptimLibrary` instead.
public protocol ObjectCatalog: AnyObject {
    func makeOptimizer(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Optimizer
    func makeSchedule(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Schedule
    var optimizerNames: [String] { get }
    var scheduleNames: [String] { get }
}

/// The native optimizers and schedules only.
public final class NativeCatalog: ObjectCatalog {
    public init() {}
    public func makeOptimizer(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Optimizer { try NativeOptimizers.make(name, hyper) }
    public func makeSchedule(_ name: String, _ hyper: [(String, HyperValue)]) throws -> Schedule { try NativeSchedules.make(name, hyper) }
    public var optimizerNames: [String] { NativeOptimizers.all.map(\.name) }
    public var scheduleNames: [String] { NativeSchedules.all.map(\.name) }
}
