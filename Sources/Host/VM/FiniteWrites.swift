import DescentCore

/// The buffers fused kernels (`optim.kernel`) wrote during one Lua optimizer step and found
/// finite in the same pass, with the version that write left them at: the optimizer bridge skips
/// its own NaN/Inf scan of a parameter whose last write was such a pass. It lives only while a
/// step records (`LuaVM.recordingFiniteWrites`), so it holds one step's tensors at most.
public final class FiniteWrites {
    /// Holding the storage keeps its identifier from being reused by another buffer.
    private var checked: [ObjectIdentifier: (storage: TensorStorage, version: UInt64)] = [:]

    func record(_ written: [Tensor], allFinite: Bool) {
        for t in written {
            checked[ObjectIdentifier(t.storage)] = allFinite ? (t.storage, t.storage.version) : nil
        }
    }

    /// Whether `t`'s last write was a kernel pass that found every value finite.
    public func lastWriteWasFinite(_ t: Tensor) -> Bool {
        checked[ObjectIdentifier(t.storage)]?.version == t.storage.version
    }
}

extension LuaVM {
    /// Runs `body` with the kernels' finite checks recorded; nested recordings (a Lua optimizer
    /// inside another) each get their own log.
    public func recordingFiniteWrites<T>(_ body: () throws -> T) throws -> (T, FiniteWrites) {
        let outer = finiteWrites, log = FiniteWrites()
        finiteWrites = log
        defer { finiteWrites = outer }
        return (try body(), log)
    }
}
