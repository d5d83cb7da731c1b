/// PyTorch's default initialisation of Conv2d and Linear (`reset_parameters`): weights by
/// `kaiming_uniform_(a=sqrt(5))`, which is uniform in ±1/sqrt(fan_in), and biases uniform in the
/// same bound. Drawn from Descent's seeded generator, so a seed fixes the initial weights.
enum Initialization {
    static func uniformFanIn(_ shape: [Int], fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.data[i] = Float(rng.uniform(Double(-bound), Double(bound))) }
        return t
    }
}

/// `3` when both sides agree, else `(3,5)`: how layers print strides and padding.
func formatPair(_ p: (h: Int, w: Int)) -> String { p.h == p.w ? "\(p.h)" : "(\(p.h),\(p.w))" }

/// Validates a positive size argument of a layer constructor.
func requirePositive(_ value: Int, _ op: String, _ name: String) throws {
    guard value > 0 else { throw DescentError.argument(op, name, "must be positive, got \(value)") }
}
