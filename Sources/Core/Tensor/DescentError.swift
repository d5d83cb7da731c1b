/// The error every Core operation throws: which operation failed and why, in words for the user.
///
/// Messages follow one shape — what was expected, then what came — so the scripting layer can
/// pass them on unchanged (`conv2d: input of rank 4 [N,C,H,W] expected, got [3,32,32]`).
public struct DescentError: Error, CustomStringConvertible, Equatable {
    /// The operation, layer, file format or API function that failed.
    public let operation: String
    /// What went wrong.
    public let message: String

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }

    /// A shape that does not fit: `expected` and `got` are rendered like `[3,4]`.
    public static func shape(_ operation: String, expected: String, got: [Int]) -> DescentError {
        DescentError(operation, "\(expected) expected, got \(formatShape(got))")
    }

    /// An argument outside its domain.
    public static func argument(_ operation: String, _ name: String, _ problem: String) -> DescentError {
        DescentError(operation, "\(name) \(problem)")
    }

    /// A file that cannot be read or written: the path and the reason.
    public static func file(_ path: String, _ reason: String) -> DescentError {
        DescentError(path, reason)
    }
}

/// `[3,4]`: the one way shapes appear in messages.
public func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
}

/// Throws unless `value` is finite; hyperparameters and schedule parameters go through this.
@inline(__always)
public func requireFinite(_ value: Double, _ operation: String, _ name: String) throws {
    guard value.isFinite else { throw DescentError.argument(operation, name, "must be finite, got \(value)") }
}
