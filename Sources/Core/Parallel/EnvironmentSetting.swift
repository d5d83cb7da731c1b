import Foundation

/// The numeric environment variables Descent reads, checked in one place. The library falls
/// back to the default on a bad value; the command line refuses it at start (`checkAll`), so
/// `DESCENT_THREADS=abc` or `=100000` is a message, not silently ignored or trusted.
public enum EnvironmentSetting: CaseIterable {
    case threads, maxTensorBytes

    public var name: String {
        switch self {
        case .threads: return "DESCENT_THREADS"
        case .maxTensorBytes: return "DESCENT_MAX_TENSOR_BYTES"
        }
    }

    public var range: ClosedRange<Int> {
        switch self {
        case .threads: return 1...1024
        case .maxTensorBytes: return 1...Int.max
        }
    }

    /// The value, nil when unset; throws unless it is an integer in `range`.
    public func value(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
        guard let text = environment[name] else { return nil }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            let upper = range.upperBound == Int.max ? "" : " to \(range.upperBound)"
            throw DescentError(name, "an integer from \(range.lowerBound)\(upper) expected, got '\(text)'")
        }
        return n
    }

    public static func checkAll(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for s in allCases { _ = try s.value(environment) }
    }
}
