import Foundation

/// One printed figure of `descent bench`.
public struct Figure {
    public let section, name: String
    public let value: Double
    public let unit: String
    public let note: String
}

/// Collects figures and prints them as a table or JSON.
public final class BenchmarkReport {
    public private(set) var figures: [Figure] = []
    private let live: Bool

    public init(live: Bool) { self.live = live }

    public func add(_ section: String, _ name: String, _ value: Double, _ unit: String, _ note: String = "") {
        let f = Figure(section: section, name: name, value: value, unit: unit, note: note)
        figures.append(f)
        if live { print(Self.row(f)); fflush(stdout) }
    }

    static func row(_ f: Figure) -> String {
        let v = f.value >= 100 ? String(format: "%.1f", f.value) : f.value >= 1 ? String(format: "%.2f", f.value) : String(format: "%.4g", f.value)
        return "\(f.section.padding(toLength: 10, withPad: " ", startingAt: 0)) \(f.name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(v.leftPad(10)) \(f.unit.padding(toLength: 8, withPad: " ", startingAt: 0)) \(f.note)"
    }

    public func json() throws -> String {
        let list = figures.map { ["section": $0.section, "name": $0.name, "value": $0.value, "unit": $0.unit, "note": $0.note] as [String: Any] }
        return String(data: try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted, .sortedKeys]), encoding: .utf8)!
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
