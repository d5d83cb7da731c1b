import CKernels

/// Tensor memory in this process, counted over the large (pooled-size, >= 64 KiB) buffers that
/// hold activations, gradients and parameters — what `torch.cuda.memory_allocated` reports for a
/// GPU. A host whose objects hold tensors (Lua's collector) paces itself by it; tests and the
/// REPL read the live figure.
public enum MemoryStatistics {
    /// Bytes allocated so far (never decreases).
    public static var allocatedBytes: Int { Int(descent_allocated_bytes()) }
    /// Bytes held by live tensors now.
    public static var liveBytes: Int { Int(descent_live_bytes()) }
}
