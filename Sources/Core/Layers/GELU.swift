import Foundation

/// GELU (Hendrycks & Gimpel 2016), exact as PyTorch's default `nn.GELU()`:
/// `y = x * Φ(x) = 0.5 * x * (1 + erf(x / √2))`, `dy/dx = Φ(x) + x * φ(x)` with φ the standard
/// normal density. Keeps no output: the derivative is a function of x.
public final class GELU: Activation {
    static let invSqrt2: Float = 0.70710678, invSqrt2Pi: Float = 0.39894228

    static func value(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * invSqrt2)) }

    static func slope(_ x: Float) -> Float {
        let cdf: Float = 0.5 * (1 + Foundation.erf(x * invSqrt2))
        let density: Float = Foundation.exp(-0.5 * x * x) * invSqrt2Pi
        return cdf + x * density
    }

    public override func forward(_ input: Tensor) throws -> Tensor { input.mapVectors { $0.lanes(Self.value) } }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try chain(input, gradOutput) { x, _ in x.lanes(Self.slope) }
    }
}
