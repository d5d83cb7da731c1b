import DescentCore

/// Protocol buffers' text format, as TF Object Detection API `pipeline.config` files are
/// written: `name: value`, `name { ... }` or `name: { ... }` (also `< >`), `name: [a, b]` and
/// `name: [{ ... }, { ... }]`, `#` comments, quoted strings with C escapes, adjacent string
/// literals joined, extension and `Any` field names (`[lstm.protos.lstm_model] { ... }`,
/// `[type.googleapis.com/pkg.Msg] { ... }`, kept with their brackets). Only structure: field names and the text of each value; the
/// importer knows what each field means. Nesting is bounded (`maximumDepth`).
struct TextProto {
    struct Field {
        let name: String
        let value: Value
        /// 1-based line of the field name, for errors.
        let line: Int
    }

    indirect enum Value {
        case scalar(String)
        case message([Field])
    }

    static let maximumDepth = 64

    /// A scalar's text as a number, as the text format writes them: `1e-3`, `.5`, `2.0f`,
    /// `-inf`, `nan`, `0x1F`.
    static func number(_ text: String) -> Double? {
        var t = text
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return Int(t.dropFirst(2), radix: 16).map(Double.init) }
        if t.hasPrefix("-0x") || t.hasPrefix("-0X") { return Int(t.dropFirst(3), radix: 16).map { -Double($0) } }
        if t.count > 1, t.last == "f" || t.last == "F", !t.lowercased().hasSuffix("inf") { t.removeLast() }
        switch t.lowercased() {
        case "inf", "infinity", "+inf": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Double(t)
        }
    }

    /// A scalar's text as a boolean: `true`, `True`, `t`, `1` and their opposites.
    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "t", "1": return true
        case "false", "False", "f", "0": return false
        default: return nil
        }
    }

    let fields: [Field]

    init(_ text: String, path: String) throws {
        var parser = Parser(chars: Array(text.unicodeScalars), path: path)
        fields = try parser.message(until: nil, depth: 0)
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        let path: String
        var i = 0
        var line = 1

        func fail(_ why: String) -> DescentError { .file(path, "line \(line): \(why)") }

        mutating func skipSpace() {
            while i < chars.count {
                let c = chars[i]
                if c == "\n" { line += 1; i += 1 }
                else if c == " " || c == "\t" || c == "\r" || c == "," || c == ";" { i += 1 }
                else if c == "#" { while i < chars.count, chars[i] != "\n" { i += 1 } }
                else { break }
            }
        }

        static func isWord(_ c: Unicode.Scalar) -> Bool {
            CharacterSet.alphanumerics.contains(c) && c.isASCII || "_.+-".unicodeScalars.contains(c)
        }

        mutating func word() throws -> String {
            let start = i
            while i < chars.count, Self.isWord(chars[i]) { i += 1 }
            guard i > start else { throw fail("a name or a value expected, got '\(i < chars.count ? String(chars[i]) : "end of file")'") }
            return String(String.UnicodeScalarView(chars[start..<i]))
        }

        /// A field name: an identifier, or an extension's or `Any`'s bracketed full name.
        mutating func fieldName() throws -> String {
            guard i < chars.count, chars[i] == "[" else { return try word() }
            let start = i
            i += 1
            while i < chars.count, Self.isWord(chars[i]) || chars[i] == "/" { i += 1 }
            guard i < chars.count, chars[i] == "]", i > start + 1 else {
                throw fail("an extension name and ']' expected after '['")
            }
            i += 1
            return String(String.UnicodeScalarView(chars[start..<i]))
        }

        /// A string literal, with C escapes (`\n`, `\"`, `\101`, `\x41`); adjacent literals
        /// (`"a," "b"`, separated by white space or comments only) are one string.
        mutating func quoted() throws -> String {
            var out = String.UnicodeScalarView()
            repeat {
                out.append(contentsOf: try literal().unicodeScalars)
                let (at, atLine) = (i, line)
                skipBlanks()
                if i < chars.count, chars[i] == "\"" || chars[i] == "'" { continue }
                (i, line) = (at, atLine)
                break
            } while true
            return String(out)
        }

        /// White space and comments, not the separators `,` and `;`.
        mutating func skipBlanks() {
            while i < chars.count {
                let c = chars[i]
                if c == "\n" { line += 1; i += 1 }
                else if c == " " || c == "\t" || c == "\r" { i += 1 }
                else if c == "#" { while i < chars.count, chars[i] != "\n" { i += 1 } }
                else { break }
            }
        }

        mutating func literal() throws -> String {
            let quote = chars[i]
            i += 1
            var bytes: [UInt8] = []
            func digits(_ radix: UInt32, max: Int) -> UInt32? {
                var v: UInt32 = 0, n = 0
                while n < max, i < chars.count, let d = Character(chars[i]).hexDigitValue, UInt32(d) < radix {
                    v = v * radix + UInt32(d); i += 1; n += 1
                }
                return n > 0 ? v : nil
            }
            while i < chars.count, chars[i] != quote {
                let c = chars[i]
                if c == "\n" { throw fail("unterminated string") }
                guard c == "\\", i + 1 < chars.count else {
                    bytes += Array(String(c).utf8)
                    i += 1
                    continue
                }
                i += 1
                let e = chars[i]
                let simple: [Unicode.Scalar: UInt8] = ["n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, "\"": 34, "?": 63]
                if let b = simple[e] {
                    bytes.append(b)
                    i += 1
                } else if e == "x" || e == "X" {
                    i += 1
                    guard let v = digits(16, max: 2) else { throw fail("\\x needs hex digits") }
                    bytes.append(UInt8(v))
                } else if let v = digits(8, max: 3), v < 256 {
                    bytes.append(UInt8(v))
                } else {
                    throw fail("unknown escape '\\\(e)' in a string")
                }
            }
            guard i < chars.count else { throw fail("unterminated string") }
            i += 1
            return String(decoding: bytes, as: UTF8.self)
        }

        mutating func scalar() throws -> String {
            guard i < chars.count else { throw fail("a value expected, got the end of the file") }
            return chars[i] == "\"" || chars[i] == "'" ? try quoted() : try word()
        }

        mutating func message(until close: Unicode.Scalar?, depth: Int) throws -> [Field] {
            guard depth <= TextProto.maximumDepth else { throw fail("messages nested more than \(TextProto.maximumDepth) deep") }
            var fields: [Field] = []
            while true {
                skipSpace()
                guard i < chars.count else {
                    if let close { throw fail("'\(close)' expected before the end of the file") }
                    return fields
                }
                if let close, chars[i] == close { i += 1; return fields }
                let at = line
                let name = try fieldName()
                skipSpace()
                var colon = false
                if i < chars.count, chars[i] == ":" { colon = true; i += 1; skipSpace() }
                guard i < chars.count else { throw fail("a value for '\(name)' expected") }
                switch chars[i] {
                case "{", "<":
                    let end: Unicode.Scalar = chars[i] == "{" ? "}" : ">"
                    i += 1
                    fields.append(Field(name: name, value: .message(try message(until: end, depth: depth + 1)), line: at))
                case "[":
                    guard colon else { throw fail("':' expected after '\(name)'") }
                    i += 1
                    while true {
                        skipSpace()
                        guard i < chars.count else { throw fail("']' expected") }
                        if chars[i] == "]" { i += 1; break }
                        if chars[i] == "{" || chars[i] == "<" {   // a list of messages
                            let end: Unicode.Scalar = chars[i] == "{" ? "}" : ">"
                            let at = line
                            i += 1
                            fields.append(Field(name: name, value: .message(try message(until: end, depth: depth + 1)), line: at))
                        } else {
                            fields.append(Field(name: name, value: .scalar(try scalar()), line: line))
                        }
                    }
                default:
                    guard colon else { throw fail("':' or '{' expected after '\(name)'") }
                    fields.append(Field(name: name, value: .scalar(try scalar()), line: at))
                }
            }
        }
    }
}

import Foundation
