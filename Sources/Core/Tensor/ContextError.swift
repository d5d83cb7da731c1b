/// An error that happened inside something larger (a run, a plugin call), kept typed: the
/// layers add where it happened, and only the command line turns it into text.
public struct ContextError: Error, CustomStringConvertible {
    /// Where it happened, e.g. "run 'adam'" or "lion.update (lion.lua:12): failed on parameter 1".
    public let context: String
    public let underlying: Error

    public init(_ context: String, _ underlying: Error) {
        self.context = context
        self.underlying = underlying
    }

    public var description: String { "\(context): \(underlying)" }
}
