import Foundation

/// A dataset whose samples are generated (or decoded) once and then served from memory, while
/// the images fit in `budget` bytes; past it, samples are generated on every read as before.
///
/// Why: a study reads each synthetic image many times (1500 steps of 16 from 1024 images read
/// each ~23 times), and rendering a street scene cost a third of the detector's step.
public final class CachedDataset: Dataset {
    public let base: Dataset
    private var cache: [Sample?]
    private let lock = NSLock()

    public init(_ base: Dataset, budget: Int = 512 << 20) {
        self.base = base
        let bytes = base.count.multipliedReportingOverflow(by: base.imageShape.reduce(4, *))
        cache = !bytes.overflow && bytes.partialValue <= budget ? Array(repeating: nil, count: base.count) : []
    }

    public var name: String { base.name }
    public var imageShape: [Int] { base.imageShape }
    public var count: Int { base.count }
    public var classNames: [String] { base.classNames }

    public func sample(_ i: Int) throws -> Sample {
        guard !cache.isEmpty else { return try base.sample(i) }
        lock.lock()
        let hit = cache[i]
        lock.unlock()
        if let hit { return hit }
        let s = try base.sample(i)
        lock.lock()
        cache[i] = s
        lock.unlock()
        return s
    }
}
