import DescentCore
import DescentPlugins
import Foundation

/// How `descent run` executes the studies of a script (its command-line options).
public struct StudyOptions {
    /// Where experiment directories go (`--out`, default `runs`).
    public var outDirectory = "runs"
    /// Parallel worker processes for independent runs (`--jobs`).
    public var jobs = 1
    /// Run only runs whose index k (0-based, in declaration order) has k % count == index - 1 (`--shard i/n`).
    public var shard: (index: Int, count: Int)? = nil
    /// A very short smoke version of every run (`--quick`).
    public var quick = false
    /// Train every run from the start, deleting what an earlier invocation left (`--fresh`).
    public var fresh = false
    /// Hears about files a study cannot use (an unreadable checkpoint) and works around.
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data("descent: \($0)\n".utf8)) }
    /// Starts a worker process for a run (`--jobs`), handing it the encoded `WorkerJob`; the
    /// command line provides it (it knows its executable and options).
    public var launchWorker: ((_ job: Data, _ environment: [String: String]) throws -> Process)? = nil

    public init() {}

    /// Refuses an `--out` that would scatter a study over the file system: empty (an unset
    /// shell variable, `--out "$OUT"`) would write `/<experiment>`, and `/` the same.
    public static func checkOutDirectory(_ path: String) throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DescentError("--out", "an empty directory name (an unset variable?); give a directory, e.g. --out runs")
        }
        guard URL(fileURLWithPath: path).standardizedFileURL.path != "/" else {
            throw DescentError("--out", "'\(path)' is the root directory; give a directory of its own, e.g. --out runs")
        }
    }

    /// `--shard auto`: this task's shard from a Slurm job array's environment, 0- or 1-based
    /// arrays alike (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`, of
    /// `SLURM_ARRAY_TASK_COUNT`); an error names what is missing or wrong.
    public static func shardFromScheduler(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> (index: Int, count: Int) {
        let names = ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT"]
        let missing = names.filter { env[$0] == nil }
        guard missing.isEmpty else {
            throw DescentError("--shard auto", "not inside a Slurm job array: \(missing.joined(separator: ", ")) unset (use sbatch --array, or --shard i/n)")
        }
        guard let id = Int(env[names[0]]!), let low = Int(env[names[1]]!), let count = Int(env[names[2]]!), count >= 1 else {
            throw DescentError("--shard auto", "integers expected in \(names.map { "\($0)=\(env[$0]!)" }.joined(separator: " "))")
        }
        guard (0..<count).contains(id - low) else {
            throw DescentError("--shard auto", "task \(id) is not one of \(count) tasks from \(low) (an array with a step, such as --array=0-6:2, is not supported)")
        }
        return (id - low + 1, count)
    }

    /// Parses `i/n` with 1 <= i <= n.
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
        return (i, n)
    }
}
