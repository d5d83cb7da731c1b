import DescentCore
import DescentHost
import Foundation

/// One run handed to a worker process (`--jobs`): the experiment's settings and the run's, as
/// plain data. The worker resolves them exactly as the parent did and trains; it never runs the
/// user's script, so a script's side effects happen once.
public struct WorkerJob: Codable {
    public let experiment: String
    let defaults: [String: Setting]
    let run: [String: Setting]
    let quick: Bool
    /// The experiment directory the run writes into.
    public let directory: String

    init(experiment: String, defaults: [String: LuaValue], run: [String: LuaValue], quick: Bool, directory: String) throws {
        self.experiment = experiment
        self.defaults = try defaults.mapValues(Setting.init)
        self.run = try run.mapValues(Setting.init)
        self.quick = quick
        self.directory = directory
    }

    var defaultsValues: [String: LuaValue] { defaults.mapValues(\.value) }
    var runValues: [String: LuaValue] { run.mapValues(\.value) }

    /// A study setting: the data a Lua table of settings can hold.
    indirect enum Setting: Codable {
        case bool(Bool), integer(Int), number(Double), string(String), array([Setting]), table([String: Setting])

        init(_ v: LuaValue) throws {
            switch v {
            case .bool(let b): self = .bool(b)
            case .integer(let i): self = .integer(i)
            case .number(let d): self = .number(d)
            case .string(let s): self = .string(s)
            case .array(let a): self = .array(try a.map(Setting.init))
            case .table(let t): self = .table(try t.mapValues(Setting.init))
            case .nil, .tensor, .other: throw DescentError("--jobs", "a run sent to a worker holds \(v.typeName) '\(v)'; settings must be plain data")
            }
        }

        var value: LuaValue {
            switch self {
            case .bool(let b): return .bool(b)
            case .integer(let i): return .integer(i)
            case .number(let d): return .number(d)
            case .string(let s): return .string(s)
            case .array(let a): return .array(a.map(\.value))
            case .table(let t): return .table(t.mapValues(\.value))
            }
        }
    }
}
