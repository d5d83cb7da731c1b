/// Which of `Sequential`'s modules run as one pass, and in which layout the tensors between
/// them travel: the container is a loop that asks this plan for each step, so the knowledge of
/// fusions and oneDNN's channel-blocked layout lives here and in the layers that offer it
/// (`Conv2d.blocks`, `MaxPool2d.takesBlocked`), and a new layer never sees a block size.
///
/// Forward: a `Conv2d` followed by a `ReLU` is one convolution with a ReLU post-op; between a
/// convolution and a 2x2 `MaxPool2d`, and a pool and the next convolution, tensors stay blocked
/// when both sides offer the same block; the pool then pools each chunk of the convolution's
/// output as it is computed, and that output is never stored. Backward: a `ReLU` followed by a
/// `MaxPool2d` is one pass, and such a pool's gradient is written chunk by chunk where the
/// convolution's backward reads it (with the convolution's bias gradient).
struct FusionPlan {
    let modules: [Module]

    /// What forward runs next. `block` is a layout's channel block (0: NCHW).
    enum ForwardStep {
        /// The convolution at the index, with the ReLU after it when `fusedReLU`; `output` is
        /// its output's layout. With `pool`, the 2x2 pool after it (past the ReLU) runs too,
        /// on each chunk of images the convolution computes while the chunk is in cache, and
        /// `pool.output` is the pool's output's layout.
        case convolution(Conv2d, fusedReLU: Bool, output: Int, pool: (layer: MaxPool2d, output: Int)?)
        /// The max pool at the index; `output` is its output's layout (its backward returns the
        /// gradient in its input's).
        case pool(MaxPool2d, output: Int)
        /// Any other module, NCHW in and out.
        case plain(Module)
    }

    /// The step at module `i`, for an input of `shape` in layout `block`.
    func forward(at i: Int, shape: [Int], block: Int) -> ForwardStep {
        if let conv = modules[i] as? Conv2d {
            let fused = fusesReLU(after: i), next = fused ? i + 2 : i + 1
            let offered = conv.blocks(inputShape: shape, fusedReLU: fused)
            if let b = offered.output, next < modules.count, let pool = modules[next] as? MaxPool2d,
               let out = try? conv.outputShape(shape), pool.takesBlocked(inputShape: out, block: b),
               case .pool(_, let poolOutput) = forward(at: next, shape: out, block: b) {
                return .convolution(conv, fusedReLU: fused, output: b, pool: (pool, poolOutput))
            }
            return .convolution(conv, fusedReLU: fused, output: 0, pool: nil)
        }
        if let pool = modules[i] as? MaxPool2d {
            // Blocked out when the input is and the next convolution takes that format.
            guard block > 0 else { return .pool(pool, output: 0) }
            let nextBlock = i + 1 < modules.count ? (modules[i + 1] as? Conv2d).flatMap { conv in
                (try? pool.outputShape(shape)).flatMap { conv.blocks(inputShape: $0, fusedReLU: fusesReLU(after: i + 1)).input }
            } ?? 0 : 0
            return .pool(pool, output: nextBlock == block ? block : 0)
        }
        return .plain(modules[i])
    }

    /// Whether the module before pool `i` is a ReLU, which the pool's backward passes through.
    func poolFollowsReLU(_ i: Int) -> Bool { i >= 1 && type(of: modules[i - 1]) == ReLU.self }

    /// What backward runs at module `i` (the last module not yet run backward).
    enum BackwardStep {
        /// The pool at `i` (and the ReLU before it when `throughReLU`); `before` is the next
        /// module backward runs; `pooled` the convolution there when the pool's input was its
        /// output pooled chunk by chunk (blocked): their backward is one pass too.
        case pool(MaxPool2d, throughReLU: Bool, before: Int, pooled: Conv2d?)
        case convolution(Conv2d)
        case plain(Module)
    }

    func backward(at i: Int, gradientBlock: Int) -> BackwardStep {
        if let pool = modules[i] as? MaxPool2d {
            let throughReLU = poolFollowsReLU(i)
            let before = i - (throughReLU ? 2 : 1)
            let pooled = gradientBlock > 0 && before >= 0 ? modules[before] as? Conv2d : nil
            return .pool(pool, throughReLU: throughReLU, before: before, pooled: pooled)
        }
        if let conv = modules[i] as? Conv2d { return .convolution(conv) }
        return .plain(modules[i])
    }

    /// Whether module `i + 1` is a plain ReLU that module `i`'s forward can apply itself.
    private func fusesReLU(after i: Int) -> Bool {
        i + 1 < modules.count && type(of: modules[i + 1]) == ReLU.self
    }
}
