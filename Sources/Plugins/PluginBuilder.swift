import DescentCore
import DescentHost

/// What a model entry is asked to build for a run.
public struct ModelRequest {
    /// The run's `model_args`, merged over the entry's defaults by the registry.
    public let args: [String: LuaValue]
    /// The dataset's image shape [C, H, W], its class names, and whether it gives boxes.
    public let input: [Int]
    public let classes: Int
    public let detection: Bool
    /// Seeds the initial weights (the run's `seed`).
    public let seed: UInt64

    public init(args: [String: LuaValue], input: [Int], classes: Int, detection: Bool, seed: UInt64) {
        (self.args, self.input, self.classes, self.detection, self.seed) = (args, input, classes, detection, seed)
    }

    /// An integer argument from `min` to 65536 (the registry has filled in the defaults).
    func integer(_ key: String, _ model: String, min: Int = 1) throws -> Int {
        guard let v = args[key]?.number, v >= Double(min), v <= 65536, v == v.rounded() else {
            throw DescentError("model '\(model)'", "\(key) must be an integer from \(min) to 65536, got \(args[key].map { "\($0)" } ?? "nothing")")
        }
        return Int(v)
    }
}

/// What a dataset entry is asked to build for a run.
public struct DatasetRequest {
    /// The run's `dataset_args`, merged over the entry's defaults by the registry.
    public let args: [String: LuaValue]
    /// Square side for synthetic images (the run's `size`).
    public let size: Int
    /// Seeds synthetic data (train and val come from disjoint seeds).
    public let seed: UInt64

    public init(args: [String: LuaValue], size: Int, seed: UInt64) {
        (self.args, self.size, self.seed) = (args, size, seed)
    }
}

/// How a registry entry builds its object: natives by a Swift closure, Lua plugins through
/// their table's functions.
enum PluginBuilder {
    case optimizer(([(String, HyperValue)]) throws -> Optimizer)
    case schedule(([(String, HyperValue)]) throws -> Schedule)
    case model((ModelRequest) throws -> TrainableModel)
    case dataset((DatasetRequest) throws -> (train: Dataset, val: Dataset))
}
