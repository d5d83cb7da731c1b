/// What a 2x2 max pool keeps for backward: a byte per window saying where its maximum was
/// (`descent_maxpool2x2_forward`). Kept from forward to forward (a fresh buffer per step cost
/// page faults), and in memory of its own, so the pool's image-range passes can write it from
/// any thread.
final class PoolCodes {
    private(set) var base = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private(set) var count = 0

    /// Makes room for `n` codes (zeros when the size changed).
    func resize(_ n: Int) {
        guard n != count else { return }
        base.deallocate()
        base = .allocate(capacity: max(n, 1))
        base.initialize(repeating: 0, count: max(n, 1))
        count = n
    }

    deinit { base.deallocate() }
}
