import DescentCore
import Foundation

/// Multi-line summaries of Descent objects for the REPL: tensors (shape, statistics, a corner of
/// the values), modules (a layer table with output shapes and parameter counts), optimizers
/// (hyperparameters and per-parameter state). Sizes never matter: a 10M-element tensor prints
/// a summary (a few passes over memory), not its values.
enum Describe {
    struct Style {
        let color: Bool
        func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
        func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
        func number(_ s: String) -> String { color ? "\u{1B}[36m\(s)\u{1B}[0m" : s }
    }

    static func g(_ v: Double) -> String { String(format: "%.4g", v) }

    static func object(_ o: AnyObject, style: Style) -> String? {
        switch o {
        case let t as Tensor: return tensor(t, style: style)
        case let m as Module: return module(m, style: style)
        case let opt as Optimizer: return optimizer(opt, style: style)
        case let s as Schedule: return "\(s)\n" + style.dim("at 0, 1, 10, 100, 1000: " + [0, 1, 10, 100, 1000].map { (try? s.at($0)).map(g) ?? "error" }.joined(separator: ", "))
        default: return nil
        }
    }

    static func tensor(_ t: Tensor, style: Style) -> String {
        var head = style.bold("tensor \(formatShape(t.shape))") + " float32, \(t.count) element\(t.count == 1 ? "" : "s")"
        guard t.count > 0 else { return head }
        let finite = t.allFinite
        head += "\n" + style.dim("min ") + style.number(g(Double(t.min()))) + style.dim("  max ") + style.number(g(Double(t.max())))
            + style.dim("  mean ") + style.number(g(t.mean())) + style.dim("  std ") + style.number(g(t.std()))
            + (finite ? "" : "  " + style.bold("(has NaN/Inf)"))
        let cols = t.rank >= 1 ? t.shape[t.rank - 1] : 1
        let rows = t.count / max(cols, 1)
        let showRows = min(rows, 6), showCols = min(cols, 8)
        var lines: [String] = []
        for r in 0..<showRows {
            var cells = (0..<showCols).map { String(format: "%9.4g", Double(t.data[r * cols + $0])) }
            if cols > showCols { cells.append("  …") }
            lines.append(cells.joined(separator: " "))
        }
        if rows > showRows { lines.append(style.dim("… (\(rows - showRows) more row\(rows - showRows == 1 ? "" : "s") of \(cols))")) }
        return head + "\n" + lines.joined(separator: "\n")
    }

    static func module(_ m: Module, style: Style) -> String {
        let layers = m.children.isEmpty ? [m] : m.children
        let shapes = (m as? Sequential)?.outputShapes ?? []
        var rows: [[String]] = [["#", "layer", "output", "params"]]
        for (i, l) in layers.enumerated() {
            let name = l.children.isEmpty ? l.description : "\(type(of: l)) (\(l.children.count) modules)"
            rows.append([String(i + 1), name, i < shapes.count ? formatShape(shapes[i]) : "-", String(l.parameterCount)])
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max()! }
        let table = rows.enumerated().map { k, r in
            let line = (0..<4).map { c in c == 3 ? String(repeating: " ", count: widths[c] - r[c].count) + r[c] : r[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            return k == 0 ? style.dim(line) : line
        }
        return style.bold("\(type(of: m))") + " with \(layers.count) layer\(layers.count == 1 ? "" : "s")\n" + table.joined(separator: "\n")
            + "\n" + style.dim("total parameters: ") + style.number(String(m.parameterCount)) + (shapes.isEmpty ? style.dim("  (output shapes after a forward)") : "")
    }

    static func optimizer(_ o: Optimizer, style: Style) -> String {
        var lines = [style.bold("optim.\(o.name)"), style.dim("hyper: ") + o.hyper.pairs.map { "\($0) = \($1)" }.joined(separator: ", ")]
        if o.states.isEmpty { lines.append(style.dim("state: none yet (no step taken)")) }
        for (i, s) in o.states.prefix(20).enumerated() {
            let parts = s.pairs.map { k, v -> String in
                switch v {
                case .number(let n): return "\(k) \(g(n))"
                case .tensor(let t): return "\(k) \(formatShape(t.shape)) |mean| \(g(t.count == 0 ? 0 : t.values.reduce(0) { $0 + Double(Swift.abs($1)) } / Double(t.count)))"
                }
            }
            lines.append(style.dim("param \(i + 1): ") + parts.joined(separator: ", "))
        }
        if o.states.count > 20 { lines.append(style.dim("… \(o.states.count - 20) more parameters")) }
        return lines.joined(separator: "\n")
    }
}
