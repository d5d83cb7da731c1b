/// The detector's loss on [N, classes + 4, G, G] outputs against `DetectionGrid.encode` targets:
/// sigmoid focal loss over every cell and class plus smooth L1 on the four box offsets of the
/// positive cells, both summed and divided by the number of positive cells (at least 1), as
/// RetinaNet normalises.
public final class DetectionLoss: Criterion {
    public let grid: DetectionGrid
    public let focal: SigmoidFocalLoss
    public let smoothL1: SmoothL1
    public let boxWeight: Double

    public init(grid: DetectionGrid, alpha: Double = 0.25, gamma: Double = 2, beta: Double = 1.0 / 9, boxWeight: Double = 1) throws {
        self.grid = grid
        focal = try SigmoidFocalLoss(alpha: alpha, gamma: gamma, reduction: .sum)
        smoothL1 = try SmoothL1(beta: beta, reduction: .sum)
        self.boxWeight = boxWeight
    }

    public override var description: String { "nn.DetectionLoss(classes \(grid.classes), grid \(grid.grid))" }

    func check(_ output: Tensor, _ target: Tensor) throws {
        let g = grid.grid, c = grid.classes
        guard output.rank == 4, output.shape[1] == c + 4, output.shape[2] == g, output.shape[3] == g else {
            throw DescentError.shape("detection loss", expected: "output [N,\(c + 4),\(g),\(g)]", got: output.shape)
        }
        guard target.shape == [output.shape[0], c + 5, g, g] else {
            throw DescentError.shape("detection loss", expected: "target [\(output.shape[0]),\(c + 5),\(g),\(g)]", got: target.shape)
        }
    }

    /// Calls `body(output index, target index, channel, index of the cell's positive mask)` for
    /// every output element.
    private func forEachElement(_ output: Tensor, _ body: (Int, Int, Int, Int) -> Void) {
        let n = output.shape[0], c = grid.classes, cells = grid.grid * grid.grid
        for img in 0..<n {
            for cell in 0..<cells {
                let positive = (img * (c + 5) + c + 4) * cells + cell
                for ch in 0..<(c + 4) {
                    body((img * (c + 4) + ch) * cells + cell, (img * (c + 5) + ch) * cells + cell, ch, positive)
                }
            }
        }
    }

    private func positives(_ target: Tensor) -> Double {
        let n = target.shape[0], c = grid.classes, cells = grid.grid * grid.grid
        var count = 0.0
        for img in 0..<n { for cell in 0..<cells where target.data[(img * (c + 5) + c + 4) * cells + cell] > 0 { count += 1 } }
        return max(1, count)
    }

    public override func forward(_ output: Tensor, _ target: Tensor) throws -> Double {
        try check(output, target)
        var total = 0.0
        forEachElement(output) { o, t, ch, pos in
            let x = Double(output.data[o]), y = Double(target.data[t])
            if ch < grid.classes { total += focal.element(x, y) } else if target.data[pos] > 0 { total += boxWeight * smoothL1.element(x - y) }
        }
        return total / positives(target)
    }

    public override func backward(_ output: Tensor, _ target: Tensor) throws -> Tensor {
        try check(output, target)
        let grad = output.zerosLike(), scale = 1 / positives(target)
        forEachElement(output) { o, t, ch, pos in
            let x = Double(output.data[o]), y = Double(target.data[t])
            if ch < grid.classes {
                grad.data[o] = Float(focal.derivative(x, y) * scale)
            } else if target.data[pos] > 0 {
                grad.data[o] = Float(boxWeight * smoothL1.derivative(x - y) * scale)
            }
        }
        return grad
    }
}
