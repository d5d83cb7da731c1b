import Foundation

/// Writing Lua source from data (a generated study script): every string is a quoted literal
/// with control bytes escaped, so nothing in a file name or a config becomes code.
enum LuaSource {
    /// A double-quoted Lua literal: quotes, backslashes and every control byte escaped (`\10`).
    static func string(_ s: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0..<0x20, 0x7F: out += Array(String(format: "\\%03d", b).utf8)
            default: out.append(b)
            }
        }
        return String(decoding: out + [UInt8(ascii: "\"")], as: UTF8.self)
    }

    /// A number as Lua reads it back: non-finite values as expressions, not as names.
    static func number(_ d: Double) -> String {
        if d.isNaN { return "(0/0)" }
        if d.isInfinite { return d > 0 ? "math.huge" : "-math.huge" }
        return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
    }

    /// A table key: bare when it is an identifier, `["..."]` otherwise.
    static func key(_ k: String) -> String {
        let identifier = k.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil
        return identifier ? k : "[" + string(k) + "]"
    }

    /// Text for a `--` comment: line breaks and other control characters shown escaped.
    static func commentLine(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\" + String(format: "%03d", $0.value) : String($0) }.joined())
    }
}
