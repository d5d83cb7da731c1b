/// Factories. Random ones take a seed or a generator: nothing in Descent draws from a global RNG.
extension Tensor {
    /// Zeros of `shape` (validated).
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try checkShape(shape, "zeros")
        return Tensor(zeros: shape)
    }

    /// All `value`.
    public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
        try checkShape(shape, "full")
        let t = Tensor(zeros: shape)
        t.data.update(repeating: value, count: t.count)
        return t
    }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

    /// Standard normal samples.
    public static func randn(_ shape: [Int], rng: inout RandomGenerator) throws -> Tensor {
        try checkShape(shape, "randn")
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.data[i] = Float(rng.normal()) }
        return t
    }

    /// Standard normal samples from a fresh generator seeded with `seed`.
    public static func randn(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try randn(shape, rng: &rng)
    }

    /// Uniform samples in [lo, hi).
    public static func uniform(_ shape: [Int], _ lo: Float, _ hi: Float, rng: inout RandomGenerator) throws -> Tensor {
        try checkShape(shape, "uniform")
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.data[i] = Float(rng.uniform(Double(lo), Double(hi))) }
        return t
    }

    /// A scalar (shape `[]`).
    public static func scalar(_ value: Float) -> Tensor {
        let t = Tensor(zeros: [])
        t.data[0] = value
        return t
    }
}
