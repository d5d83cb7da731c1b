import CReadline
import DescentCore
import Foundation

/// Where the REPL's input comes from: GNU readline on a terminal (editing, history, Ctrl-R,
/// completion), plain lines otherwise, so a session can be scripted through a pipe.
public enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C at the prompt; `empty` when the line had no text.
    case interrupt(empty: Bool)
    case end
}

public protocol LineReader {
    func read(prompt: String) -> LineInput
    func remember(_ line: String)
}

/// Plain `readLine`: no prompt, no editing (stdin is a pipe or a file).
struct PipeReader: LineReader {
    func read(prompt: String) -> LineInput { Swift.readLine(strippingNewline: true).map { .line($0) } ?? .end }
    func remember(_ line: String) {}
}

/// readline with persistent, size-limited history in `~/.descent_history` and tab completion
/// through `complete` (given the line and the cursor, the candidates).
final class TerminalReader: LineReader {
    static let historyLimit: Int32 = 1000
    let historyPath: String
    /// The one active completer: readline's hook is a C function pointer.
    nonisolated(unsafe) static var completer: ((String, Int) -> [String])?

    init(complete: @escaping (String, Int) -> [String]) {
        historyPath = (ProcessInfo.processInfo.environment["DESCENT_HISTORY"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".descent_history"))
        Self.completer = complete
        using_history()
        stifle_history(Self.historyLimit)
        _ = read_history(historyPath)
        descent_install_completion { line, cursor in
            guard let line, let complete = TerminalReader.completer else { return }
            let text = String(cString: line)
            for c in complete(text, Int(cursor)) { descent_add_candidate(c) }
        }
    }

    func read(prompt: String) -> LineInput {
        var out: UnsafeMutablePointer<CChar>? = nil
        let status = StopRequest.prompting { descent_readline(prompt, &out, StopRequest.promptInterrupted) }
        switch status {
        case 1: return .interrupt(empty: false)
        case 2: return .interrupt(empty: true)
        default:
            guard let out else { return .end }
            defer { free(out) }
            return .line(String(decoding: UnsafeRawBufferPointer(start: out, count: strlen(out)), as: UTF8.self))
        }
    }

    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(line)
        if append_history(1, historyPath) != 0 { _ = write_history(historyPath) }
        _ = history_truncate_file(historyPath, Self.historyLimit)
    }
}
