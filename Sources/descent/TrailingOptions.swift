/// Options written after `descent run SCRIPT`, separated from the script's own arguments:
/// `--name value`, `--name=value` for valued options, `--name` for flags; `--` stops parsing.
struct TrailingOptions {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var arguments: [String] = []

    init(_ words: [String], valued: Set<String>, flags known: Set<String>) {
        var i = 0, literal = false
        while i < words.count {
            let w = words[i]
            defer { i += 1 }
            guard !literal, w.hasPrefix("--") else { arguments.append(w); continue }
            if w == "--" { literal = true; continue }
            let body = w.dropFirst(2)
            if let eq = body.firstIndex(of: "="), valued.contains(String(body[..<eq])) {
                values[String(body[..<eq]), default: []].append(String(body[body.index(after: eq)...]))
            } else if valued.contains(String(body)), i + 1 < words.count {
                values[String(body), default: []].append(words[i + 1])
                i += 1
            } else if known.contains(String(body)) {
                flags.insert(String(body))
            } else {
                arguments.append(w)
            }
        }
    }

    subscript(name: String) -> [String] { values[name] ?? [] }
}
