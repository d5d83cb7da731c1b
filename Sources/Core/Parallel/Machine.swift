import Foundation

/// Facts about the machine that every performance figure and run record names.
public enum Machine {
    /// The CPU's model name as the kernel reports it (lscpu's "Model name"), e.g.
    /// "Intel(R) Xeon(R) Processor" or "AMD EPYC 9R14 96-Core Processor".
    public static let cpuModel: String = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":")
        else { return "unknown CPU" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }()
}
