/// Runs modules in order; backward runs them in reverse with the inputs kept from forward.
public final class Sequential: Module {
    public private(set) var modules: [Module]
    /// The input each module saw in the last forward.
    private var inputs: [Tensor] = []
    /// The channel block of each input's layout (0: NCHW): between a convolution and a 2x2 max
    /// pool, activations stay in oneDNN's blocked format when both sides offer it, saving two
    /// reorders forward and two backward per layer. Only NCHW leaves the container.
    private var inputBlocks: [Int] = []
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
        let plan = FusionPlan(modules: modules)
        var x = input
        var block = 0                  // channel block of x's layout, 0 for NCHW
        var seen: [Tensor] = [], blocks: [Int] = []
        seen.reserveCapacity(modules.count)
        var i = 0
        while i < modules.count {
            seen.append(x)
            blocks.append(block)
            switch plan.forward(at: i, shape: x.shape, block: block) {
            case .convolution(let conv, let fused, let output, let pool):
                let pooling = try pool.map { try $0.layer.blockedForward(inputShape: try conv.outputShape(x.shape), block: output, outputBlock: $0.output) }
                x = try conv.forward(x, fusedReLU: fused, blocked: BlockedSides(input: block > 0, output: output > 0), afterChunk: pooling?.pool)
                block = output
                i += fused ? 2 : 1
                if fused {
                    // The ReLU "saw" the output (same signs as its input).
                    seen.append(x)
                    blocks.append(block)
                }
                if let pool, let pooling {
                    // The pool ran on the chunks; its input is the output.
                    seen.append(x)
                    blocks.append(block)
                    (x, block) = (pooling.output, pool.output)
                    i += 1
                }
            case .pool(let pool, let output):
                x = try pool.forward(x, inputBlock: block, outputBlock: output)
                block = output
                i += 1
            case .plain(let m):
                x = try m.forward(x)
                i += 1
            }
        }
        outputShapes = (seen.dropFirst() + [x]).map(\.shape)
        inputs = seen
        inputBlocks = blocks
        return x
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
        let plan = FusionPlan(modules: modules)
        var g = gradOutput
        var block = 0                  // channel block of g's layout (the output's: NCHW)
        var biasSummed = false         // the pool just filled the next conv's bias sums
        var i = modules.count - 1
        while i >= 0 {
            switch plan.backward(at: i, gradientBlock: inputBlocks[i]) {
            case .pool(let pool, let throughReLU, let before, let biasOf):
                let sums = biasOf.map { $0.biasGradient.images(inputs[i].shape[0], channels: $0.outChannels) }
                g = try pool.backward(inputs[i], g, throughReLU: throughReLU, block: inputBlocks[i], blockedGradOutput: block > 0, channelSums: sums)
                biasSummed = sums != nil
                block = inputBlocks[i]
                i = before
            case .convolution(let conv):
                let sides = BlockedSides(input: inputBlocks[i] > 0, output: block > 0)
                if i == 0 && deferring { return try conv.backwardDeferringInputGradient(inputs[0], g, blocked: sides, biasSummed: biasSummed) }
                g = try conv.backward(inputs[i], g, blocked: sides, biasSummed: biasSummed)
                biasSummed = false
                block = inputBlocks[i]
                i -= 1
            case .plain(let m):
                guard block == 0 else { throw DescentError("nn.Sequential.backward", "internal: a channel-blocked gradient reached \(m.description)") }
                if i == 0 && deferring { return try m.backwardDeferringInputGradient(inputs[0], g) }
                g = try m.backward(inputs[i], g)
                i -= 1
            }
        }
        return DeferredGradient(g)
    }
}
