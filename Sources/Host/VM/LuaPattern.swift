import DescentCore

/// Limits on the Lua patterns Descent runs on the user's behalf (parameter-group `match`).
///
/// Lua's matcher backtracks: each repeated item (`x*`, `x+`, `x-`, `x?`) multiplies the work, so
/// `string.rep("(.-)", 60) .. "x"` never returns, and a C function cannot be interrupted. Real
/// group patterns repeat one to three items ("^conv%d+%.weight$", "^(.-)%.(.-)%.bias$").
enum LuaPattern {
    static let maximumRepetitions = 4
    static let maximumLength = 256

    static func checkCost(_ pattern: String) throws {
        let bytes = Array(pattern.utf8)
        guard bytes.count <= maximumLength else {
            throw DescentError("match", "pattern of \(bytes.count) bytes is too long (at most \(maximumLength))")
        }
        var repeated = 0, i = 0
        while i < bytes.count {
            // Skip one single-character class: %x, a set [...], or one character.
            switch bytes[i] {
            case UInt8(ascii: "%"): i += 2
            case UInt8(ascii: "["):
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "^") { i += 1 }
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1 }   // a leading ] is literal
                while i < bytes.count, bytes[i] != UInt8(ascii: "]") { i += bytes[i] == UInt8(ascii: "%") ? 2 : 1 }
                i += 1
            default: i += 1
            }
            if i < bytes.count, "*+-?".utf8.contains(bytes[i]) {
                repeated += 1
                i += 1
            }
        }
        guard repeated <= maximumRepetitions else {
            throw DescentError("match", "pattern '\(pattern)' repeats \(repeated) items (*, +, -, ?); at most \(maximumRepetitions) are allowed, since Lua's matcher backtracks and such a pattern can run for hours")
        }
    }
}
