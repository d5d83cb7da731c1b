import Foundation

/// The memory behind one or more tensors: a 64-byte aligned Float32 buffer, freed on deinit.
///
/// Buffers of 2 MiB and more are 2 MiB aligned and advised `MADV_HUGEPAGE`: on this machine that
/// lifts streaming bandwidth from ~31 to ~40 GB/s (DESIGN.md, Performance), which is what the
/// optimizer updates and large activations are bound by.
public final class TensorStorage {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    private static let hugePage = 2 << 20

    /// Allocates `count` floats, zero-filled.
    public init(count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let alignment = bytes >= Self.hugePage ? Self.hugePage : 64
        var raw: UnsafeMutableRawPointer?
        let rounded = (bytes + alignment - 1) / alignment * alignment
        guard posix_memalign(&raw, alignment, rounded) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes for a tensor")
        }
        #if os(Linux)
        if alignment == Self.hugePage { _ = madvise(raw, rounded, MADV_HUGEPAGE) }
        #endif
        memset(raw, 0, rounded)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(base) }
}
