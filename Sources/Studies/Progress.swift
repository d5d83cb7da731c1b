import DescentPlugins
import Foundation

/// Progress of a run: one live line on a terminal (run, step/total, loss, lr, steps/s, ETA),
/// plain log lines (every tenth of the run) otherwise.
final class Progress {
    let run: String
    let total: Int
    let live: Bool
    private var lastDraw = 0.0
    private let start = Date()

    init(run: String, total: Int,
         live: Bool = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["DESCENT_PROGRESS"] != "lines") {
        (self.run, self.total, self.live) = (run, total, live)
    }

    func update(step: Int, loss: Double, lr: Double) {
        let elapsed = Date().timeIntervalSince(start)
        let done = step + 1
        let every = max(1, total / 10)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = Double(total - done) / max(rate, 1e-9)
        let line = String(format: "%@  step %d/%d  loss %.4g  lr %.3g  %.1f steps/s  ETA %d:%02d", run, done, total, loss, lr, rate, Int(eta) / 60, Int(eta) % 60)
        if live {
            guard elapsed - lastDraw > 0.1 || done == total else { return }
            lastDraw = elapsed
            print("\r\u{1B}[K" + line, terminator: done == total ? "\n" : "")
        } else if done % every == 0 || done == total {
            print(line)
        }
        fflush(stdout)
    }

    func finish(_ text: String) {
        print((live ? "\r\u{1B}[K" : "") + "\(run)  \(text)")
        fflush(stdout)
    }
}
