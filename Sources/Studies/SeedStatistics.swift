import Foundation

/// Statistics over a setting's seeds: the mean, the sample standard deviation (n − 1) and the
/// half-width of the Student-t 95% interval of the mean; and the paired difference of two
/// settings over the seeds they share. Values a run did not produce (no threshold reached, a
/// failed run) are left out, as pandas' `mean`/`std` skip empty cells; a non-finite value (a
/// diverged run's loss) makes the mean non-finite and the spread undefined.
enum SeedStatistics {
    struct Estimate: Equatable {
        /// How many values the estimate rests on.
        let count: Int
        let mean: Double?
        let std: Double?
        let ci95: Double?
    }

    static func estimate(_ values: [Double]) -> Estimate {
        let n = values.count
        guard n > 0 else { return Estimate(count: 0, mean: nil, std: nil, ci95: nil) }
        let mean = values.reduce(0, +) / Double(n)
        guard n > 1, mean.isFinite else { return Estimate(count: n, mean: mean, std: nil, ci95: nil) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let std = variance.squareRoot()
        return Estimate(count: n, mean: mean, std: std, ci95: studentT975(degrees: n - 1) * std / Double(n).squareRoot())
    }

    /// The mean difference `a − b` over the seeds both have, with its 95% interval; separable
    /// when the interval leaves out 0. nil when fewer than two seeds are shared.
    static func pairedDifference(_ a: [Int: Double], _ b: [Int: Double]) -> (estimate: Estimate, separable: Bool)? {
        let shared = Set(a.keys).intersection(b.keys).sorted()
        guard shared.count >= 2 else { return nil }
        let e = estimate(shared.map { a[$0]! - b[$0]! })
        guard let mean = e.mean, let half = e.ci95 else { return nil }
        return (e, abs(mean) > half)
    }

    /// The 0.975 quantile of Student's t with `degrees` degrees of freedom (12.706 at 1,
    /// 2.262 at 9, 1.960 in the limit), by bisection on the distribution function.
    static func studentT975(degrees: Int) -> Double {
        precondition(degrees >= 1)
        let nu = Double(degrees)
        // P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2; find the t where that is 0.025.
        var lo = 0.0, hi = 1000.0
        for _ in 0..<200 {
            let t = (lo + hi) / 2
            if regularizedBeta(nu / (nu + t * t), nu / 2, 0.5) / 2 > 0.025 { lo = t } else { hi = t }
        }
        return (lo + hi) / 2
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified
    /// Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x > (a + 1) / (a + b + 2) { return 1 - front * continuedFraction(1 - x, b, a) / b }
        return front * continuedFraction(x, a, b) / a
    }

    private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            for step in 0..<2 {
                let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                let numerator = step == 0 ? even : odd
                d = 1 + numerator * d
                if abs(d) < tiny { d = tiny }
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                d = 1 / d
                f *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return f
    }
}
