/// Runs modules in order; backward runs them in reverse with the inputs kept from forward.
public final class Sequential: Module {
    public private(set) var modules: [Module]
    /// The input each module saw in the last forward, and its shape. A convolution's output that
    /// only the 2x2 max pool after it read (see `FusionPlan`) is never stored: nil, with its shape.
    private var inputs: [Tensor?] = []
    private var inputShapes: [[Int]] = []
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
        var seen: [Tensor?] = [], shapes: [[Int]] = [], blocks: [Int] = []
        seen.reserveCapacity(modules.count)
        var i = 0
        while i < modules.count {
            seen.append(x)
            shapes.append(x.shape)
            blocks.append(block)
            switch plan.forward(at: i, shape: x.shape, block: block) {
            case .convolution(let conv, let fused, let output, let pool?):
                // The pool takes each chunk of the convolution's output; the ReLU (fused) and the
                // pool "saw" an output that is never stored (the ReLU's has the same signs).
                let shape = try conv.outputShape(x.shape)
                let pooling = try pool.layer.blockedForward(inputShape: shape, block: output, outputBlock: pool.output)
                try conv.forwardIntoPool(x, fusedReLU: fused, blockedInput: block > 0, pool: pooling.pool)
                for _ in 0 ..< (fused ? 2 : 1) {
                    seen.append(nil)
                    shapes.append(shape)
                    blocks.append(output)
                }
                (x, block) = (pooling.output, pool.output)
                i += fused ? 3 : 2
            case .convolution(let conv, let fused, _, nil):
                x = try conv.forward(x, fusedReLU: fused, blockedInput: block > 0)
                block = 0
                i += fused ? 2 : 1
                if fused {
                    // The ReLU "saw" the output (same signs as its input).
                    seen.append(x)
                    shapes.append(x.shape)
                    blocks.append(0)
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
        outputShapes = Array(shapes.dropFirst()) + [x.shape]
        inputs = seen
        inputShapes = shapes
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
        guard inputs.count == modules.count, inputs.first.map({ $0 === input }) ?? true else {
            throw DescentError("nn.Sequential.backward", "forward must run on this input first")
        }
        let plan = FusionPlan(modules: modules)
        var g = gradOutput
        var block = 0                  // channel block of g's layout (the output's: NCHW)
        var i = modules.count - 1
        while i >= 0 {
            switch plan.backward(at: i, gradientBlock: inputBlocks[i]) {
            case .pool(let pool, let throughReLU, let before, let conv?):
                // A pool whose input was a convolution's output pooled chunk by chunk: the
                // convolution's backward takes the pool's gradient chunk by chunk.
                let pooled = try pool.blockedBackward(inputShape: inputShapes[i], g, throughReLU: throughReLU, block: inputBlocks[i],
                                                      blockedGradOutput: block > 0)
                let gradient = try conv.backward(try kept(before), through: pooled, blockedInput: inputBlocks[before] > 0,
                                                 deferring: before == 0 && deferring)
                if before == 0 { return gradient }
                g = try gradient.tensor()
                block = inputBlocks[before]
                i = before - 1
            case .pool(let pool, let throughReLU, let before, _):
                g = try pool.backward(try kept(i), g, throughReLU: throughReLU)
                block = 0
                i = before
            case .convolution(let conv):
                let blockedInput = inputBlocks[i] > 0
                if i == 0 && deferring { return try conv.backwardDeferringInputGradient(try kept(0), g, blockedInput: blockedInput) }
                g = try conv.backward(try kept(i), g, blockedInput: blockedInput)
                block = inputBlocks[i]
                i -= 1
            case .plain(let m):
                guard block == 0 else { throw DescentError("nn.Sequential.backward", "internal: a channel-blocked gradient reached \(m.description)") }
                if i == 0 && deferring { return try m.backwardDeferringInputGradient(try kept(0), g) }
                g = try m.backward(try kept(i), g)
                i -= 1
            }
        }
        return DeferredGradient(g)
    }

    /// Module `i`'s input in the last forward (stored for every module whose backward reads it).
    private func kept(_ i: Int) throws -> Tensor {
        guard let x = inputs[i] else { throw DescentError("nn.Sequential.backward", "internal: module \(i + 1)'s input was not kept") }
        return x
    }
}
