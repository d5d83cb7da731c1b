/// Per-worker scratch memory a layer keeps between calls, so hot loops do not allocate.
/// `buffer(worker, count)` returns at least `count` floats for that worker, growing only when a
/// larger shape arrives.
final class ScratchBuffers {
    private var storages: [TensorStorage] = []

    /// Throws when the buffers would pass the tensor limit (`Tensor.checkShape`): a big kernel
    /// on a big image asks for columns far larger than its input.
    func prepare(workers: Int, count: Int, _ op: String) throws {
        try Tensor.checkShape([workers, count], op)
        if storages.count < workers || (storages.first?.count ?? 0) < count {
            storages = (0..<workers).map { _ in TensorStorage(count: count) }
        }
    }

    func buffer(_ worker: Int) -> UnsafeMutablePointer<Float> { storages[worker].base }
}
