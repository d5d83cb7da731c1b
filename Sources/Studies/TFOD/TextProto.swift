import DescentCore

/// Protocol buffers' text format, as TF Object Detection API `pipeline.config` files are
/// written: `name: value`, `name { ... }` or `name: { ... }` (also `< >`), `name: [a, b]`,
/// `#` comments, quoted strings. Only structure: field names and the text of each value; the
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

        mutating func quoted() throws -> String {
            let quote = chars[i]
            i += 1
            var out = String.UnicodeScalarView()
            while i < chars.count, chars[i] != quote {
                if chars[i] == "\n" { throw fail("unterminated string") }
                if chars[i] == "\\", i + 1 < chars.count {
                    i += 1
                    switch chars[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(chars[i])
                    }
                } else {
                    out.append(chars[i])
                }
                i += 1
            }
            guard i < chars.count else { throw fail("unterminated string") }
            i += 1
            return String(out)
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
                let name = try word()
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
                        fields.append(Field(name: name, value: .scalar(try scalar()), line: line))
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
