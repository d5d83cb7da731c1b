/// An error raised by Lua code run from Swift: the message (with `file:line:`) and the traceback.
public struct LuaError: Error, CustomStringConvertible {
    /// The message as Lua produced it, e.g. `train.lua:12: attempt to index a nil value`.
    public let message: String
    /// `stack traceback:` and its lines, when the error passed through the message handler.
    public let traceback: String
    /// True when Ctrl-C stopped the chunk (the interrupt hook raised it).
    public let isInterrupt: Bool

    public init(message: String, traceback: String = "", isInterrupt: Bool = false) {
        self.message = message
        self.traceback = traceback
        self.isInterrupt = isInterrupt
    }

    /// Splits what `descent_msghandler` produced into message and traceback.
    init(handled text: String, isInterrupt: Bool = false) {
        if let r = text.range(of: "\nstack traceback:") {
            self.init(message: String(text[..<r.lowerBound]), traceback: String(text[text.index(after: r.lowerBound)...]), isInterrupt: isInterrupt)
        } else {
            self.init(message: text, isInterrupt: isInterrupt)
        }
    }

    public var description: String { traceback.isEmpty ? message : message + "\n" + traceback }
}

/// A bad argument to a binding, in Lua's own words:
/// `bad argument #2 to 'add_' (tensor of shape [3,4] expected, got [4,3])`.
public struct ArgumentError: Error, CustomStringConvertible {
    public let description: String

    public init(_ position: Int, _ function: String, _ problem: String) {
        description = "bad argument #\(position) to '\(function)' (\(problem))"
    }

    public init(message: String) { description = message }
}
