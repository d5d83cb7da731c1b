/// Runs modules in order; backward runs them in reverse with the inputs kept from forward.
public final class Sequential: Module {
    public private(set) var modules: [Module]
    /// The input each module saw in the last forward.
    private var inputs: [Tensor] = []
    /// The channel block of each input's layout (0: NCHW): between a convolution and a 2x2 max
    /// pool, activations stay in oneDNN's blocked format when both sides offer it, saving two
    /// reorders forward and two backward per layer. Only NCHW leaves the container.
    private var inputBlocks: [Int] = []
    /// The channel block of the gradient each module's backward returns: its input's, except
    /// for a pool that takes NCHW but hands a blocked gradient back (`takesBlockedGradient`).
    private var gradientBlocks: [Int] = []
    /// How many modules took a blocked input in the last forward (tests, benchmarks).
    var blockedInputCount: Int { inputBlocks.filter { $0 > 0 }.count }
    /// The output shape of each module in the last forward (the REPL's layer table shows them).
    public private(set) var outputShapes: [[Int]] = []

    public init(_ modules: [Module]) {
        self.modules = modules
        super.init()
        adopt(modules)
    }

    /// Adds `m` at the end. Only a container no other container holds grows (build inner
    /// containers first): so a module never contains itself, and the nesting stays within
    /// `maximumNesting` — walks of the tree recurse once per level.
    public func append(_ m: Module) throws {
        guard m !== self else { throw DescentError("nn.Sequential.add", "cannot add a container to itself") }
        guard containerCount == 0 else {
            throw DescentError("nn.Sequential.add", "cannot add to a container that is inside another (add to the outer one, or fill the inner one first)")
        }
        try Module.checkNesting(modules + [m], "nn.Sequential.add")
        modules.append(m)
        adopt(modules)
    }

    public override var children: [Module] { modules }
    public override var parameters: [Tensor] { modules.flatMap(\.parameters) }
    public override var gradients: [Tensor] { modules.flatMap(\.gradients) }

    public override var needsInputGradient: Bool {
        didSet { modules.first?.needsInputGradient = needsInputGradient }
    }

    public override var description: String {
        "nn.Sequential {\n" + modules.enumerated().map { "  (\($0)): " + $1.description.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n") + "\n}"
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        var block = 0                  // channel block of x's layout, 0 for NCHW
        var seen: [Tensor] = [], blocks: [Int] = [], gradBlocks: [Int] = []
        seen.reserveCapacity(modules.count)
        var i = 0
        while i < modules.count {
            seen.append(x)
            blocks.append(block)
            gradBlocks.append(block)
            if let conv = modules[i] as? Conv2d {
                // Conv2d + ReLU in one pass; the ReLU "saw" the output (same signs as its input).
                let fused = fusesReLU(after: i), next = fused ? i + 2 : i + 1
                let offered = conv.blocks(inputShape: x.shape, fusedReLU: fused)
                var outputBlock = 0
                if let b = offered.output, next < modules.count, let pool = modules[next] as? MaxPool2d,
                   let shape = try? conv.outputShape(x.shape), pool.takesBlocked(inputShape: shape, block: b) {
                    outputBlock = b
                }
                x = try conv.forward(x, fusedReLU: fused, blocked: BlockedSides(input: block > 0, output: outputBlock > 0))
                block = outputBlock
                if fused {
                    seen.append(x)
                    blocks.append(block)
                    gradBlocks.append(block)
                }
                i = next
            } else if let pool = modules[i] as? MaxPool2d {
                // Blocked out when the next convolution takes that format; from an NCHW input
                // only when the gradient can go back blocked too (to a convolution reading its
                // output gradient in it: the RGB first layer's weight gradient).
                let nextBlock = i + 1 < modules.count ? (modules[i + 1] as? Conv2d).flatMap { conv in
                    (try? pool.outputShape(x.shape)).flatMap { conv.blocks(inputShape: $0, fusedReLU: fusesReLU(after: i + 1)).input }
                } ?? 0 : 0
                var outputBlock = 0
                if block > 0 {
                    outputBlock = nextBlock == block ? block : 0
                } else if nextBlock > 0, pool.takesBlocked(inputShape: x.shape, block: nextBlock),
                          takesBlockedGradient(before: i, seen: seen, block: nextBlock) {
                    outputBlock = nextBlock
                    gradBlocks[i] = nextBlock
                    if type(of: modules[i - 1]) == ReLU.self { gradBlocks[i - 1] = nextBlock }
                }
                x = try pool.forward(x, inputBlock: block, outputBlock: outputBlock)
                block = outputBlock
                i += 1
            } else {
                x = try modules[i].forward(x)
                i += 1
            }
        }
        outputShapes = (seen.dropFirst() + [x]).map(\.shape)
        inputs = seen
        inputBlocks = blocks
        gradientBlocks = gradBlocks
        return x
    }

    /// Whether the module feeding module `i` (past a ReLU) is a convolution that reads its output
    /// gradient in the blocked format with `block`.
    private func takesBlockedGradient(before i: Int, seen: [Tensor], block: Int) -> Bool {
        let j = i >= 1 && type(of: modules[i - 1]) == ReLU.self ? i - 2 : i - 1
        guard j >= 0, let conv = modules[j] as? Conv2d else { return false }
        return conv.blocks(inputShape: seen[j].shape, fusedReLU: j + 2 == i).gradOutput == block
    }

    public override func backward(_ input: Tensor, _ gradOutput: Tensor) throws -> Tensor {
        try backward(input, gradOutput, deferring: false).tensor()
    }

    public override func backwardDeferringInputGradient(_ input: Tensor, _ gradOutput: Tensor) throws -> DeferredGradient {
        try backward(input, gradOutput, deferring: true)
    }

    /// Runs the modules backward, each gradient in the layout its tensor had in forward; with
    /// `deferring`, the first module's input gradient is deferred when that module can defer it.
    private func backward(_ input: Tensor, _ gradOutput: Tensor, deferring: Bool) throws -> DeferredGradient {
        guard inputs.count == modules.count, inputs.first === input || modules.isEmpty else {
            throw DescentError("nn.Sequential.backward", "forward must run on this input first")
        }
        var g = gradOutput
        var block = 0                  // channel block of g's layout (the output's: NCHW)
        var biasSummed = false         // the pool just filled the next conv's bias sums
        var i = modules.count - 1
        while i >= 0 {
            let sides = BlockedSides(input: inputBlocks[i] > 0, output: block > 0)
            if let pool = modules[i] as? MaxPool2d {
                // After a ReLU: one pass (the pool's input is the ReLU's output).
                let throughReLU = i >= 1 && type(of: modules[i - 1]) == ReLU.self
                let before = i - (throughReLU ? 2 : 1)
                // A blocked pool returns the gradient of the convolution before it (and its
                // ReLU) and sums that layer's bias gradient on the way.
                var sums: UnsafeMutablePointer<Double>?
                if gradientBlocks[i] > 0, before >= 0, let conv = modules[before] as? Conv2d, conv.bias != nil {
                    sums = conv.biasGradient.images(inputs[i].shape[0], channels: conv.outChannels)
                }
                g = try pool.backward(inputs[i], g, throughReLU: throughReLU, block: gradientBlocks[i], blockedGradOutput: block > 0, channelSums: sums)
                biasSummed = sums != nil
                block = gradientBlocks[i]
                i = before
            } else if let conv = modules[i] as? Conv2d {
                if i == 0 && deferring { return try conv.backwardDeferringInputGradient(inputs[0], g, blocked: sides, biasSummed: biasSummed) }
                g = try conv.backward(inputs[i], g, blocked: sides, biasSummed: biasSummed)
                biasSummed = false
                block = inputBlocks[i]
                i -= 1
            } else {
                guard block == 0 else { throw DescentError("nn.Sequential.backward", "internal: a channel-blocked gradient reached \(modules[i].description)") }
                if i == 0 && deferring { return try modules[0].backwardDeferringInputGradient(inputs[0], g) }
                g = try modules[i].backward(inputs[i], g)
                i -= 1
            }
        }
        return DeferredGradient(g)
    }

    /// Whether module `i + 1` is a plain ReLU that module `i`'s forward can apply itself.
    private func fusesReLU(after i: Int) -> Bool {
        i + 1 < modules.count && type(of: modules[i + 1]) == ReLU.self
    }
}
