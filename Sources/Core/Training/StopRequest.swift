import CProcess
import Foundation

/// SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGQUIT as requests to stop, not as sudden death: the signal handler (CProcess)
/// only records the signal and tells the Lua host, so running Lua code raises "interrupted!";
/// training loops ask `signal` between steps, checkpoint and stop.
public enum StopRequest {
    /// Keeps those signals handled for the life of the process; with `quitOnSecond`
    /// (`descent run`), a second signal ends it at once with status 128 + signal.
    public static func install(quitOnSecond: Bool) { descent_stop_install(quitOnSecond ? 1 : 0) }

    /// Handles SIGINT while Lua code runs (`armed`), default action otherwise; a no-op once
    /// `install()` made the handling permanent.
    public static func arm(_ armed: Bool) { descent_stop_arm(armed ? 1 : 0) }

    /// Called from the signal handler: must be async-signal-safe C.
    public static func setNotifier(_ notify: (@convention(c) () -> Void)?) { descent_stop_set_notifier(notify) }

    /// Runs `body` (a training step) to its end even when a stop is requested meanwhile: Lua
    /// code in it is not interrupted, so the step is never left half done; the caller checks
    /// `signal` afterwards.
    public static func deferring<T>(_ body: () throws -> T) rethrows -> T {
        descent_stop_defer(1)
        defer { descent_stop_defer(0) }
        return try body()
    }

    /// Runs `body` (a prompt reading a line) with Ctrl-C turned into an interrupted read rather
    /// than a stop request; `promptInterrupted` tells the reader it was Ctrl-C.
    public static func prompting<T>(_ body: () throws -> T) rethrows -> T {
        descent_stop_prompt(1)
        defer { descent_stop_prompt(0) }
        return try body()
    }

    /// True once after Ctrl-C interrupted a prompt (C, for the line reader's loop).
    public static let promptInterrupted: @convention(c) () -> Int32 = descent_stop_prompt_interrupted

    /// The signal that asked to stop (SIGINT = 2, SIGTERM = 15), nil if none.
    public static var signal: Int32? {
        let s = descent_stop_signal()
        return s == 0 ? nil : s
    }

    /// The exit status a stop by `signal` ends the process with (130 for SIGINT, 143 for SIGTERM).
    public static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    /// How messages name a stop's signal.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "Ctrl-C"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP (the terminal closed)"
        case SIGPIPE: return "SIGPIPE (standard output closed)"
        case SIGQUIT: return "SIGQUIT"
        default: return "signal \(signal)"
        }
    }

    /// Forgets a handled request (Ctrl-C that interrupted one REPL statement).
    public static func clear() { descent_stop_clear() }

    /// Requests a stop as if `signal` had arrived.
    public static func request(_ signal: Int32) { descent_stop_request(signal) }
}
