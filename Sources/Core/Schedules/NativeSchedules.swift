import Foundation

/// The native schedules, by name. Formulas follow the TF Object Detection API's
/// `learning_schedules.py` where it defines one; steps count from 0.
public enum NativeSchedules {
    public struct Entry {
        public let name: String
        public let doc: String
        public let make: ([(String, HyperValue)]) throws -> Schedule
    }

    public static let all: [Entry] = [constant, exponentialDecay, piecewise, cosineDecay, inverseTime, linearWarmup]

    public static func make(_ name: String, _ overrides: [(String, HyperValue)] = []) throws -> Schedule {
        guard let e = all.first(where: { $0.name == name }) else {
            throw DescentError("schedule.new", "unknown schedule '\(name)' (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return try e.make(overrides)
    }

    private static func entry(_ name: String, _ doc: String, _ defaults: [(String, HyperValue)],
                              validate: @escaping (Hyperparameters) throws -> Void,
                              _ formula: @escaping (Hyperparameters, Double) -> Double) -> Entry {
        Entry(name: name, doc: doc) {
            try NativeSchedule(name: name, doc: doc, defaults: defaults, overrides: $0, validate: validate, formula: formula)
        }
    }

    /// `base` at every step.
    static let constant = entry("constant", "Constant learning rate: base", [("base", .number(0.01))],
                                validate: { try $0.require("base", min: 0) }) { h, _ in h.number("base") }

    /// TF OD API `exponential_decay_with_burnin`: `burnin_lr` (default: base) for
    /// `step < burnin_steps`, then `max(min_lr, base * rate^((step-burnin_steps)/decay_steps))`,
    /// the exponent floored when `staircase`.
    static let exponentialDecay = entry(
        "exponential_decay", "Exponential decay with burn-in and floor (TF OD API exponential_decay_with_burnin)",
        [("base", .number(0.01)), ("decay_steps", .number(1000)), ("rate", .number(0.95)), ("staircase", .bool(true)),
         ("burnin_lr", .number(0)), ("burnin_steps", .number(0)), ("min_lr", .number(0))],
        validate: { h in
            try h.require("base", min: 0)
            try h.require("decay_steps", above: 0)
            try h.require("rate", above: 0)
            try h.require("burnin_lr", min: 0)
            try h.require("burnin_steps", min: 0)
            try h.require("min_lr", min: 0)
        }
    ) { h, step in
        let burnin = h.number("burnin_steps")
        if step < burnin {
            let b = h.number("burnin_lr")
            return b == 0 ? h.number("base") : b
        }
        var e = (step - burnin) / h.number("decay_steps")
        if h.bool("staircase") { e = e.rounded(.down) }
        return Swift.max(h.number("min_lr"), h.number("base") * Foundation.pow(h.number("rate"), e))
    }

    /// TF OD API `manual_stepping`: `values[i+1]` once `step >= boundaries[i]`; with warmup,
    /// linear from `values[1]` to `values[2]` over `[0, boundaries[1])`.
    static let piecewise = entry(
        "piecewise", "Piecewise constant (manual stepping), optional linear warmup to the first boundary",
        [("boundaries", .list([])), ("values", .list([0.01])), ("warmup", .bool(false))],
        validate: { h in
            let b = h.list("boundaries"), v = h.list("values")
            guard v.count == b.count + 1 else {
                throw DescentError.argument("piecewise", "values", "must have one more entry than boundaries (\(b.count + 1)), got \(v.count)")
            }
            guard zip(b, b.dropFirst()).allSatisfy({ $0 < $1 }), b.allSatisfy({ $0 >= 0 }) else {
                throw DescentError.argument("piecewise", "boundaries", "must be non-negative and strictly increasing, got \(HyperValue.list(b))")
            }
            if h.bool("warmup") {
                guard let first = b.first, first > 0 else { throw DescentError.argument("piecewise", "warmup", "needs a first boundary > 0") }
            }
        }
    ) { h, step in
        let b = h.list("boundaries"), v = h.list("values")
        if h.bool("warmup"), let b0 = b.first, step < b0 { return v[0] + (v[1] - v[0]) * step / b0 }
        var i = 0
        while i < b.count, step >= b[i] { i += 1 }
        return v[i]
    }

    /// TF OD API `cosine_decay_with_warmup`: 0 after `total_steps`; else
    /// `0.5*base*(1 + cos(pi*(step-warmup-hold)/(total-warmup-hold)))`, held at `base` while
    /// `step <= warmup+hold` when hold > 0, and `warmup_lr + (base-warmup_lr)*step/warmup` while
    /// `step < warmup`.
    static let cosineDecay = entry(
        "cosine_decay", "Cosine decay with linear warmup and hold (TF OD API cosine_decay_with_warmup)",
        [("base", .number(0.01)), ("total_steps", .number(1000)), ("warmup_lr", .number(0)), ("warmup_steps", .number(0)), ("hold_steps", .number(0))],
        validate: { h in
            try h.require("base", min: 0)
            try h.require("warmup_lr", min: 0)
            try h.require("warmup_steps", min: 0)
            try h.require("hold_steps", min: 0)
            let total = h.number("total_steps"), warm = h.number("warmup_steps"), hold = h.number("hold_steps")
            guard total > warm + hold else {
                throw DescentError.argument("cosine_decay", "total_steps", "must be larger than warmup_steps + hold_steps (\(warm + hold)), got \(total)")
            }
            if warm > 0, h.number("base") < h.number("warmup_lr") {
                throw DescentError.argument("cosine_decay", "base", "must be >= warmup_lr (\(h.number("warmup_lr"))), got \(h.number("base"))")
            }
        }
    ) { h, step in
        let base = h.number("base"), total = h.number("total_steps"), warm = h.number("warmup_steps"), hold = h.number("hold_steps")
        if step > total { return 0 }
        if warm > 0, step < warm { return h.number("warmup_lr") + (base - h.number("warmup_lr")) * step / warm }
        if hold > 0, step <= warm + hold { return base }
        return 0.5 * base * (1 + Foundation.cos(Double.pi * (step - warm - hold) / (total - warm - hold)))
    }

    /// `base / (1 + decay*step)`.
    static let inverseTime = entry(
        "inverse_time", "Inverse-time decay: base/(1 + decay*step)", [("base", .number(0.01)), ("decay", .number(0))],
        validate: { h in
            try h.require("base", min: 0)
            try h.require("decay", min: 0)
        }
    ) { h, step in h.number("base") / (1 + h.number("decay") * step) }

    /// Linear from `warmup_lr` to `base` over `warmup_steps`, then `base`.
    static let linearWarmup = entry(
        "linear_warmup", "Linear warmup from warmup_lr to base over warmup_steps, then constant",
        [("base", .number(0.01)), ("warmup_steps", .number(100)), ("warmup_lr", .number(0))],
        validate: { h in
            try h.require("base", min: 0)
            try h.require("warmup_steps", min: 0)
            try h.require("warmup_lr", min: 0)
        }
    ) { h, step in
        let warm = h.number("warmup_steps")
        return step < warm ? h.number("warmup_lr") + (h.number("base") - h.number("warmup_lr")) * step / warm : h.number("base")
    }
}
