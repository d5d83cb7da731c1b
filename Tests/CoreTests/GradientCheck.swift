import XCTest
@testable import DescentCore

/// Central finite differences in Double against a module's backward.
///
/// The scalar checked is `L = sum(forward(x) * r)` for a fixed random `r`, so backward(x, r)
/// must return dL/dx and accumulate dL/dparams. `reset` runs before every forward (to pin a
/// dropout mask).
func checkGradients(_ m: Module, input x: Tensor, eps: Float = 1e-2, tolerance: Double = 2e-3,
                    reset: () -> Void = {}, file: StaticString = #filePath, line: UInt = #line) throws {
    for (k, e) in try gradientErrors(m, input: x, eps: eps, reset: reset).enumerated() {
        XCTAssertLessThan(e, tolerance, "\(m) gradient of \(k == 0 ? "input" : "parameter \(k)") differs from finite differences", file: file, line: line)
    }
}

/// The worst relative difference between backward and finite differences, for the input (first)
/// and each parameter.
func gradientErrors(_ m: Module, input x: Tensor, eps: Float = 1e-2, reset: () -> Void = {}) throws -> [Double] {
    reset()
    let y = try m.forward(x)
    let r = try Tensor.randn(y.shape, seed: 99)
    func loss() throws -> Double {
        reset()
        let out = try m.forward(x)
        var s = 0.0
        for i in 0..<out.count { s += Double(out.data[i]) * Double(r.data[i]) }
        return s
    }
    m.zeroGrad()
    reset()
    _ = try m.forward(x)
    let gx = try m.backward(x, r)
    let analytic = [gx] + m.gradients.map { $0.clone() }
    let targets = [x] + m.parameters
    var errors: [Double] = []
    for (k, (t, a)) in zip(targets, analytic).enumerated() {
        if k == 0 && !m.needsInputGradient { errors.append(0); continue }
        var worst = 0.0, scale = 1.0
        for i in 0..<t.count {
            let old = t.data[i]
            t.data[i] = old + eps
            let up = try loss()
            t.data[i] = old - eps
            let down = try loss()
            t.data[i] = old
            let numeric = (up - down) / (2 * Double(eps))
            scale = max(scale, abs(numeric))
            worst = max(worst, abs(numeric - Double(a.data[i])))
        }
        errors.append(worst / scale)
    }
    return errors
}

/// Finite differences of a criterion with respect to its output argument.
func checkLossGradient(_ c: Criterion, output: Tensor, target: Tensor, eps: Float = 1e-2, tolerance: Double = 2e-3,
                       file: StaticString = #filePath, line: UInt = #line) throws {
    let g = try c.backward(output, target)
    var worst = 0.0, scale = 1e-3
    for i in 0..<output.count {
        let old = output.data[i]
        output.data[i] = old + eps
        let up = try c.forward(output, target)
        output.data[i] = old - eps
        let down = try c.forward(output, target)
        output.data[i] = old
        let numeric = (up - down) / (2 * Double(eps))
        scale = max(scale, abs(numeric))
        worst = max(worst, abs(numeric - Double(g.data[i])))
    }
    XCTAssertLessThan(worst / scale, tolerance, "\(c) gradient differs from finite differences", file: file, line: line)
}

func randn(_ shape: [Int], _ seed: UInt64 = 1) -> Tensor { try! Tensor.randn(shape, seed: seed) }
