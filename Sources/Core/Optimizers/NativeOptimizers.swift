/// One native optimizer or preset as the catalogue lists it: its name, the doc `descent plugins`
/// shows, its update rule (`descent plugins show`), and how to make it. Each is declared in the
/// file of its kernel (`Adam.descriptors`), the way torch/optim's adam.lua holds all of Adam.
public struct NativeOptimizerDescriptor {
    public let name: String
    public let doc: String
    public let equations: String
    public let make: ([(String, HyperValue)]) throws -> Optimizer
}

/// The catalogue of native optimizers and presets, by name: every lookup goes through here
/// (the plugin registry starts from it).
public enum NativeOptimizers {
    public static let all: [NativeOptimizerDescriptor] = SGD.descriptors + Momentum.descriptors + RMSProp.descriptors + Adam.descriptors
        + Adamax.descriptors

    public static func descriptor(_ name: String) -> NativeOptimizerDescriptor? { all.first { $0.name == name } }

    public static func make(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Optimizer {
        guard let d = descriptor(name) else { throw unknown(name, known: all.map(\.name)) }
        return try d.make(overrides)
    }

    /// The error for a name no catalogue knows (native here, native and Lua in the registry).
    public static func unknown(_ name: String, known: [String]) -> DescentError {
        DescentError("optim.new", "unknown optimizer '\(name)' (known: \(known.joined(separator: ", ")))")
    }
}
