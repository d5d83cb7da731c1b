/// Descent's one random number generator: xoshiro256** (Blackman & Vigna 2018), seeded through
/// SplitMix64 so that every 64-bit seed gives a well-mixed state.
///
/// Everything seeded in Descent (initialisation, `randn`, dropout masks, shuffling, augmentation,
/// synthetic data) draws from this generator, so a seed fixes a run bit for bit on one machine.
/// Its state is four words and can be saved in a checkpoint (`state`).
public struct RandomGenerator: RandomNumberGenerator {
    public var state: (UInt64, UInt64, UInt64, UInt64)
    /// A second normal variate from the last Box–Muller pair, kept so pairs are not wasted.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * uniform()
    }

    /// Standard normal, Box–Muller in double precision.
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = radius * _sin(angle)
        return radius * _cos(angle)
    }

    /// Uniform integer in 0..<bound.
    public mutating func int(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// A child generator for an independent stream (a layer's init, a data loader), derived
    /// deterministically from this one.
    public mutating func split() -> RandomGenerator {
        RandomGenerator(seed: next())
    }

    /// The four state words and the pending normal, for checkpoints.
    public var words: [UInt64] {
        [state.0, state.1, state.2, state.3, spareNormal.map { $0.bitPattern } ?? 0, spareNormal == nil ? 0 : 1]
    }

    /// Restores from `words`.
    public init(words: [UInt64]) throws {
        guard words.count == 6 else { throw DescentError("rng", "6 state words expected, got \(words.count)") }
        // xoshiro's all-zero state yields zeros forever (and rejection sampling never ends).
        guard words[0...3].contains(where: { $0 != 0 }) else { throw DescentError("rng", "the all-zero state is not a valid state") }
        guard words[5] <= 1, words[5] == 0 || Double(bitPattern: words[4]).isFinite else {
            throw DescentError("rng", "the spare normal must be absent (0) or a finite number (1), got flag \(words[5])")
        }
        state = (words[0], words[1], words[2], words[3])
        spareNormal = words[5] == 1 ? Double(bitPattern: words[4]) : nil
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
