/// Factories. Random ones take a seed or a generator: nothing in Descent draws from a global RNG.
extension Tensor {
    /// Zeros of `shape` (validated).
    public static func zeros(_ shape: [Int]) throws -> Tensor { try checked(shape, "zeros") }

    /// A zero tensor of `shape` for a script or a file: the shape is checked, and running out
    /// of memory is an error naming `op`, not a crash.
    public static func checked(_ shape: [Int], _ op: String, zeroed: Bool = true) throws -> Tensor {
        try checkShape(shape, op)
        return Tensor(storage: try TensorStorage.checked(count: shape.reduce(1, *), zeroed: zeroed, op), shape: shape)
    }

    /// All `value`.
    public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
        let t = try checked(shape, "full", zeroed: false)
        t.data.update(repeating: value, count: t.count)
        return t
    }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

    /// Standard normal samples.
    public static func randn(_ shape: [Int], rng: inout RandomGenerator) throws -> Tensor {
        let t = try checked(shape, "randn", zeroed: false)
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
        let t = try checked(shape, "uniform", zeroed: false)
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
