import CKernels
import Foundation

/// The memory behind one or more tensors: a 64-byte aligned Float32 buffer.
///
/// Capacity is rounded up to whole 64-byte lines (16 floats), so kernels may read and write
/// SIMD vectors past `count` up to the next multiple of 16 without leaving the allocation.
///
/// Large buffers are recycled through `StoragePool` instead of returned to the OS: a training
/// step allocates tens of megabytes of activations and gradients, and fresh pages cost a page
/// fault each (measured: ~15 ms of a 69 ms reference-CNN step before the pool).
/// Buffers of 2 MiB and more are 2 MiB aligned and advised `MADV_HUGEPAGE`, which lifts streaming
/// bandwidth on the project's machines.
public final class TensorStorage {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    /// Bytes actually allocated (a multiple of 64).
    let capacityBytes: Int
    /// Counts in-place writes (Core's in-place ops, optimizer steps, fused kernels, `t:set`), as
    /// PyTorch's `tensor._version` does: whoever kept a result that depends on this buffer can
    /// tell whether anything wrote since (`DeferredGradient`, the Lua bridge's finite checks).
    public private(set) var version: UInt64 = 0

    /// The name of the parameter this buffer holds (`3.weight`), when a model named it
    /// (`Module.labelParameters`): an optimizer's step receives bare tensors, and parameter
    /// groups (`GroupedOptimizer`) match on this name, as torch.optim's groups hold their
    /// module's parameters.
    public var parameterName: String?

    /// Records an in-place write.
    @inline(__always) public func noteWrite() { version &+= 1 }

    /// Allocates `count` floats, zero-filled unless `zeroed` is false (for outputs that the
    /// caller overwrites entirely). Running out of memory here is fatal: layers and kernels
    /// allocate through this; what a script asks for goes through `checked`.
    public convenience init(count: Int, zeroed: Bool = true) {
        let bytes = Self.capacity(count)
        guard let raw = Self.acquire(bytes) else { fatalError("out of memory allocating \(bytes) bytes for a tensor") }
        self.init(count: count, raw: raw, capacityBytes: bytes, zeroed: zeroed)
    }

    /// Like `init(count:zeroed:)`, but running out of memory is an error naming `op` (what a
    /// script or a file asked for must never end the host).
    public static func checked(count: Int, zeroed: Bool = true, _ op: String) throws -> TensorStorage {
        let bytes = capacity(count)
        guard let raw = acquire(bytes) else { throw DescentError(op, "out of memory allocating \(bytes) bytes for a tensor") }
        return TensorStorage(count: count, raw: raw, capacityBytes: bytes, zeroed: zeroed)
    }

    /// A pooled buffer of `bytes`, else a fresh one; nil when the system has none.
    private static func acquire(_ bytes: Int) -> UnsafeMutableRawPointer? { StoragePool.shared.take(bytes) ?? StoragePool.allocate(bytes) }

    private static func capacity(_ count: Int) -> Int { (max(count, 1) * MemoryLayout<Float>.stride + 63) / 64 * 64 }

    private init(count: Int, raw: UnsafeMutableRawPointer, capacityBytes: Int, zeroed: Bool) {
        self.count = count
        self.capacityBytes = capacityBytes
        if capacityBytes >= StoragePool.minimum { descent_note_allocation(capacityBytes) }
        if zeroed { memset(raw, 0, capacityBytes) }
        base = raw.bindMemory(to: Float.self, capacity: capacityBytes / 4)
    }

    deinit {
        if capacityBytes >= StoragePool.minimum { descent_note_release(capacityBytes) }
        StoragePool.shared.give(UnsafeMutableRawPointer(base), capacityBytes)
    }

    /// The largest tensor a script, a file or a layer's arguments may ask for:
    /// `DESCENT_MAX_TENSOR_BYTES`, else half the physical memory. Shapes are checked against it
    /// before anything is allocated (`Tensor.checkShape`), so a mistaken size is an error that
    /// names the shape and the bytes, not a crash.
    public static let maximumBytes: Int = {
        if let n = (try? EnvironmentSetting.maxTensorBytes.value()).flatMap({ $0 }) { return n }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
    }()

}

/// A size-keyed free list of large buffers (>= 64 KiB), capped in total bytes.
final class StoragePool {
    static let shared = StoragePool()
    static let minimum = 64 << 10
    private static let hugePage = 2 << 20
    private let cap = 1 << 30
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var pooled = 0
    private var lock = pthread_mutex_t()

    init() { pthread_mutex_init(&lock, nil) }

    /// A fresh buffer, nil when the system has no memory for it.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let alignment = bytes >= hugePage ? hugePage : 64
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else { return nil }
        #if os(Linux)
        if alignment == hugePage { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        #endif
        return raw
    }

    func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= Self.minimum else { return nil }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard let p = free[bytes]?.popLast() else { return nil }
        pooled -= bytes
        return p
    }

    func give(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        if bytes >= Self.minimum {
            pthread_mutex_lock(&lock)
            if pooled + bytes <= cap {
                free[bytes, default: []].append(p)
                pooled += bytes
                pthread_mutex_unlock(&lock)
                return
            }
            pthread_mutex_unlock(&lock)
        }
        Foundation.free(p)
    }
}
