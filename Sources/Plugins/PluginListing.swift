/// Text for `descent plugins`: a table of every plugin, and one plugin's details.
public enum PluginListing {
    public static func table(_ plugins: [Plugin]) -> String {
        let rows = plugins.sorted { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }
            .map { [$0.kind.rawValue, $0.name, $0.origin.description, $0.summary] }
        let header = ["KIND", "NAME", "ORIGIN", "DOC"]
        let widths = (0..<3).map { c in ([header] + rows).map { $0[c].count }.max()! }
        return ([header] + rows).map { r in
            (0..<3).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + r[3]
        }.joined(separator: "\n")
    }

    public static func details(_ p: Plugin) -> String {
        var lines = ["\(p.kind.rawValue) \(p.name)", "origin: \(p.origin)", "", p.doc.isEmpty ? "(no doc)" : p.doc, "", "defaults:"]
        lines += p.defaults.isEmpty ? ["  (none)"] : p.defaults.map { "  \($0) = \($1)" }
        if let e = p.equations { lines += ["", "update:", e] }
        return lines.joined(separator: "\n")
    }
}
