/// What a 2x2 max pool keeps for backward: a byte per window saying where its maximum was
/// (`descent_maxpool2x2_forward`), in memory of its own, so the pool's image-range passes can
/// write it from any thread.
///
/// A forward reuses the last forward's buffer (a fresh one per step cost page faults) unless a
/// gradient still to be computed holds it (`BlockedPoolGradient` behind a deferred input
/// gradient): then it takes another from the tensor pool, and the held one stays as it was.
final class PoolCodes {
    final class Buffer {
        private let storage: TensorStorage
        let base: UnsafeMutablePointer<UInt8>
        let count: Int

        init(_ n: Int) {
            storage = TensorStorage(count: (max(n, 1) + 3) / 4)
            base = UnsafeMutableRawPointer(storage.base).bindMemory(to: UInt8.self, capacity: max(n, 1))
            count = n
        }
    }

    private(set) var buffer = Buffer(0)
    var base: UnsafeMutablePointer<UInt8> { buffer.base }
    var count: Int { buffer.count }

    /// Makes room for `n` codes for a new forward (zeros in a buffer it had to take).
    func resize(_ n: Int) {
        if n != buffer.count || !isKnownUniquelyReferenced(&buffer) { buffer = Buffer(n) }
    }
}
