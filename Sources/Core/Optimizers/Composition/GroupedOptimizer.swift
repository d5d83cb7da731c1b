/// One parameter group of `optim.new(name, hyper, {groups = {...}})`: which parameters it
/// takes and the hyperparameters it sets for them.
public struct ParameterGroup {
    /// Whether the parameter at 1-based `index` of the step, named `name` when known
    /// (`3.weight`), belongs to the group.
    public let matches: (_ param: Tensor, _ index: Int, _ name: String?) throws -> Bool
    public let overrides: [(String, HyperValue)]

    public init(overrides: [(String, HyperValue)], matches: @escaping (Tensor, Int, String?) throws -> Bool) {
        self.overrides = overrides
        self.matches = matches
    }
}

/// An optimizer with parameter groups (torch.optim's `param_groups`, Optax's masks and
/// `multi_transform`): each parameter goes to the first group that matches it, or to the
/// default group, and each group is an optimizer of the same kind with its overrides — so every
/// group keeps the optimizer's single fused pass. Membership is decided at the first step from
/// each parameter's index and name, and is saved with the state.
///
/// Changing a hyperparameter (a schedule's `lr`) changes it for every group; a group that set
/// its own number for that key follows proportionally (its value times new/initial base), as
/// PyTorch's schedulers scale each group's initial lr.
public final class GroupedOptimizer: Optimizer {
    private let make: ([(String, HyperValue)]) throws -> Optimizer
    private let groups: [ParameterGroup]
    private let base: Optimizer
    private let initial: Hyperparameters
    /// Optimizer of group g (0 = default, g = groups[g-1]), made when it first has members.
    private var optimizers: [Optimizer?]
    /// Group of each parameter position; empty before the first step.
    private var assignment: [Int] = []

    public init(groups: [ParameterGroup], make: @escaping ([(String, HyperValue)]) throws -> Optimizer) throws {
        self.make = make
        self.groups = groups
        base = try make([])
        initial = base.hyper
        optimizers = [base] + Array(repeating: nil, count: groups.count)
        for (g, group) in groups.enumerated() {
            do { _ = try make(group.overrides) } catch { throw ContextError("group \(g + 1)", error) }
        }
    }

    public var name: String { base.name }
    public var hyper: Hyperparameters { base.hyper }
    public var description: String { base.description + " with \(groups.count) group\(groups.count == 1 ? "" : "s")" }

    /// The group's optimizer, made on first use with its overrides applied to the current base values.
    private func optimizer(_ g: Int) throws -> Optimizer {
        if let o = optimizers[g] { return o }
        let o = try make(base.hyper.pairs.map { key, value in (key, groupValue(g, key, value)) })
        optimizers[g] = o
        return o
    }

    /// Group g's value of `key` when the base value is `value`.
    private func groupValue(_ g: Int, _ key: String, _ value: HyperValue) -> HyperValue {
        guard g > 0, let own = groups[g - 1].overrides.last(where: { $0.0 == key })?.1 else { return value }
        if case .number(let o) = own, case .number(let v) = value, case .number(let start)? = initial[key], start != 0 {
            return .number(o * v / start)
        }
        return own
    }

    public func setHyper(_ key: String, _ value: HyperValue) throws {
        try base.setHyper(key, value)
        for g in 1..<optimizers.count { try optimizers[g]?.setHyper(key, groupValue(g, key, value)) }
    }

    public func step(_ params: [Tensor], _ grads: [Tensor]) throws {
        try checkStepArguments(params, grads, previous: assignment.count)
        if assignment.isEmpty {
            assignment = try params.enumerated().map { i, p in
                let name = p.storage.parameterName
                for (g, group) in groups.enumerated() where try group.matches(p, i + 1, name) { return g + 1 }
                return 0
            }
        }
        for g in optimizers.indices {
            let members = assignment.indices.filter { assignment[$0] == g }
            guard !members.isEmpty else { continue }
            try optimizer(g).step(members.map { params[$0] }, members.map { grads[$0] })
        }
    }

    public var stateCount: Int { assignment.count }

    public var states: [OptimizerState] {
        var position = Array(repeating: 0, count: optimizers.count)
        let all = optimizers.map { $0?.states ?? [] }
        return assignment.map { g in
            let s = OptimizerState()
            let k = position[g]
            position[g] += 1
            if k < all[g].count { for (key, v) in all[g][k].pairs { s[key] = v } }
            s["group"] = .number(Double(g))
            return s
        }
    }

    public func restore(states: [OptimizerState]) throws {
        let groupsOf = try states.enumerated().map { i, s -> Int in
            guard let g = s.number("group")?.exactInteger(in: 0...groups.count) else {
                throw DescentError(name, "state of parameter \(i + 1) names no group of this optimizer's \(groups.count)")
            }
            return g
        }
        for g in optimizers.indices {
            let own = states.indices.filter { groupsOf[$0] == g }.map { i -> OptimizerState in
                let s = OptimizerState()
                for (k, v) in states[i].pairs where k != "group" { s[k] = v }
                return s
            }
            if !own.isEmpty || optimizers[g] != nil { try optimizer(g).restore(states: own) }
        }
        assignment = groupsOf
    }
}
