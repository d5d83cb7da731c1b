import Foundation

/// Softmax cross-entropy on logits `[N, C]` with class targets `[N]` holding 0-based class
/// indices, averaged over the batch (PyTorch `nn.CrossEntropyLoss`). Log-sum-exp is shifted by
/// the row maximum, so large logits do not overflow.
public final class CrossEntropy: Criterion {
    private func check(_ output: Tensor, _ target: Tensor) throws -> (n: Int, c: Int) {
        guard output.rank == 2 else { throw DescentError.shape("nn.CrossEntropy", expected: "output of rank 2 [N,C]", got: output.shape) }
        let (n, c) = (output.shape[0], output.shape[1])
        guard c >= 1 else { throw DescentError.shape("nn.CrossEntropy", expected: "output with at least one class [N,C>=1]", got: output.shape) }
        guard target.shape == [n] || target.shape == [n, 1] else {
            throw DescentError.shape("nn.CrossEntropy", expected: "target of shape [\(n)] (class indices)", got: target.shape)
        }
        for i in 0..<n {
            let t = target.data[i]
            guard t.exactInteger(in: 0...(c - 1)) != nil else {
                throw DescentError("nn.CrossEntropy", "target[\(i + 1)] must be a class index in 0..\(c - 1), got \(t)")
            }
        }
        return (n, c)
    }

    /// log-sum-exp of a row, and its maximum.
    private func logSumExp(_ row: UnsafeMutablePointer<Float>, _ c: Int) -> (Double, Double) {
        var m = -Double.infinity
        for j in 0..<c { m = Swift.max(m, Double(row[j])) }
        var s = 0.0
        for j in 0..<c { s += Foundation.exp(Double(row[j]) - m) }
        return (m + Foundation.log(s), m)
    }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        let (n, c) = try check(output, target)
        var loss = 0.0
        for i in 0..<n {
            let row = output.data + i * c
            loss += logSumExp(row, c).0 - Double(row[Int(target.data[i])])
        }
        return loss / Double(max(n, 1))
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        let (n, c) = try check(output, target)
        let grad = output.zerosLike()
        for i in 0..<n {
            let row = output.data + i * c
            let (lse, _) = logSumExp(row, c)
            for j in 0..<c { grad.data[i * c + j] = Float(Foundation.exp(Double(row[j]) - lse) / Double(n)) }
            grad.data[i * c + Int(target.data[i])] -= Float(1 / Double(n))
        }
        return grad
    }
}
