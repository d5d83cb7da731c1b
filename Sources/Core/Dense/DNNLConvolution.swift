import CDNNL
import Foundation

/// A convolution for one input shape through oneDNN's primitives: forward, backward data and
/// backward weights, each in the memory formats oneDNN picks for this CPU (channel-blocked, with
/// its JIT kernels), with reorders from and to Descent's NCHW tensors around them.
///
/// Why: im2col + SGEMM on small images spends a third of the time outside the GEMM
/// (im2col, col2im, packing small matrices per image) and its kernels are AVX2 at best here;
/// oneDNN's direct kernels ran the reference CNN's three layers (forward and backward) in 8 ms
/// on one thread against ~20 ms. `Conv2d` falls back to im2col when oneDNN cannot build a
/// primitive for a shape, or when `DESCENT_CONV=im2col` asks for it.
final class DNNLConvolution {
    /// A memory object over a buffer: Descent's tensor (handle set per call) or one of ours.
    private final class Memory {
        let memory: dnnl_memory_t
        let storage: TensorStorage?
        let desc: dnnl_memory_desc_t

        /// Over `storage` we own (sized for `desc`), or with no buffer until `bind`.
        init(_ desc: dnnl_memory_desc_t, owned: Bool, engine: dnnl_engine_t) throws {
            self.desc = desc
            var d = desc
            storage = owned ? TensorStorage(count: max(1, dnnl_memory_desc_get_size(&d) / 4), zeroed: false) : nil
            var m: dnnl_memory_t?
            try check(dnnl_memory_create(&m, &d, engine, storage.map { UnsafeMutableRawPointer($0.base) }), "memory")
            memory = m!
        }

        func bind(_ p: UnsafeMutablePointer<Float>) throws { try check(dnnl_memory_set_data_handle(memory, p), "memory handle") }
        var base: UnsafeMutablePointer<Float> { storage!.base }
        deinit { dnnl_memory_destroy(memory) }
    }

    /// A primitive, destroyed with its owner (also when the owner's init fails half-way), and
    /// its own scratchpad when its descriptor asked for one (user scratchpad mode): oneDNN's
    /// library-managed scratchpad was freed and re-faulted on every call from OpenMP's worker
    /// threads (~115 page faults per 2-thread reference-CNN step).
    private final class Primitive {
        let primitive: dnnl_primitive_t
        let scratchpad: Memory?

        init(_ pd: dnnl_primitive_desc_t?, _ what: String, engine: dnnl_engine_t) throws {
            var p: dnnl_primitive_t?
            try check(dnnl_primitive_create(&p, pd), what)
            primitive = p!
            var md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
            scratchpad = dnnl_memory_desc_get_size(&md) > 0 ? try Memory(md, owned: true, engine: engine) : nil
        }

        /// A reorder between two formats, or nil when they are the same.
        static func reorder(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t, _ engine: dnnl_engine_t) throws -> Primitive? {
            var a = from, b = to
            if dnnl_memory_desc_equal(&a, &b) != 0 { return nil }
            var pd: dnnl_primitive_desc_t?
            try check(dnnl_reorder_primitive_desc_create(&pd, &a, engine, &b, engine, OneDNN.userScratchpad), "reorder")
            defer { dnnl_primitive_desc_destroy(pd) }
            return try Primitive(pd, "reorder", engine: engine)
        }

        deinit { dnnl_primitive_destroy(primitive) }
    }

    /// oneDNN's name for the forward kernel, e.g. "jit:avx512_core".
    let implementation: String
    private let engine: dnnl_engine_t, stream: dnnl_stream_t
    private let forwardPrimitive, backwardDataPrimitive, backwardWeightsPrimitive: Primitive
    // Descent's NCHW / OIHW buffers, bound per call.
    private let userSource, userWeights, userDestination, userBias: Memory
    // The formats each primitive computes in (the user's own where oneDNN chose the same).
    private let source, weights, destination: Memory
    private let diffDestination, backwardSource, diffWeights, diffSource, dataDiffDestination, dataWeights: Memory
    private let diffWeightsUser: Memory
    private let toSource, toWeights, fromDestination, toDiffDestination, toBackwardSource, fromDiffWeights, fromDiffSource,
                toDataDiffDestination, toDataWeights: Primitive?
    /// The channel block (8 or 16) of oneDNN's format for the input and its gradient, and for the
    /// output and its gradient, when every pass uses that same plain blocked format (aBcd8b or
    /// aBcd16b, channels a multiple of the block): then a neighbour may hand tensors over in it
    /// (`Sequential` between convolutions and 2x2 max pools) and the reorders go. Nil otherwise.
    let sourceBlock, destinationBlock: Int?
    // Over tensors handed over in those formats (bound per call).
    private let sourceView, destinationView: Memory
    /// The tensor the last forward reordered, so backward can reuse its reordered copy.
    private weak var lastInput: Tensor?
    /// The output gradient `diffDestination` holds in backward's format (set by `backwardWeights`).
    private weak var diffDestinationHolds: Tensor?

    /// Builds the primitives for a batch of `n` images of the layer's geometry; throws when
    /// oneDNN has no implementation for it (the caller then uses im2col).
    /// The fastest convolution oneDNN builds for the shape: Winograd F(4x4, 3x3) for 3x3
    /// stride-1 layers with 16 or more channels in and out (on one Xeon core the reference CNN's
    /// two inner layers ran forward and backward in 12 ms against 19 ms direct; with 3 input
    /// channels Winograd was 3.6x slower than direct), direct otherwise or when Winograd is refused.
    static func make(batch n: Int, geometry g: ConvGeometry, outChannels: Int, bias: Bool, fusedReLU: Bool) throws -> DNNLConvolution {
        let winograd = g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.channels >= 16 && outChannels >= 16
        if winograd, let c = try? DNNLConvolution(batch: n, geometry: g, outChannels: outChannels, bias: bias, fusedReLU: fusedReLU,
                                                    algorithm: dnnl_convolution_winograd) {
            return c
        }
        return try DNNLConvolution(batch: n, geometry: g, outChannels: outChannels, bias: bias, fusedReLU: fusedReLU, algorithm: dnnl_convolution_direct)
    }

    private init(batch n: Int, geometry g: ConvGeometry, outChannels: Int, bias: Bool, fusedReLU: Bool, algorithm: dnnl_alg_kind_t) throws {
        guard let (engine, stream) = OneDNN.context else { throw DescentError("nn.Conv2d", "oneDNN is not available") }
        self.engine = engine
        self.stream = stream
        OneDNN.capThreads()
        func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
            var md = dnnl_memory_desc_t()
            try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "memory descriptor")
            return md
        }
        let srcDims = [n, g.channels, g.height, g.width], dstDims = [n, outChannels, g.outHeight, g.outWidth]
        let wDims = [outChannels, g.channels, g.kernelH, g.kernelW]
        var srcAny = try desc(srcDims, dnnl_format_tag_any), dstAny = try desc(dstDims, dnnl_format_tag_any)
        var wAny = try desc(wDims, dnnl_format_tag_any), biasDesc = try desc([outChannels], dnnl_a)
        let strides = [Int64(g.strideH), Int64(g.strideW)], padL = [Int64(g.padH), Int64(g.padW)]
        // Right/bottom padding that yields the floor-mode output size.
        let padR = [Int64((g.outHeight - 1) * g.strideH + g.kernelH - g.height - g.padH),
                    Int64((g.outWidth - 1) * g.strideW + g.kernelW - g.width - g.padW)]

        var fd = dnnl_convolution_desc_t(), bd = dnnl_convolution_desc_t(), wd = dnnl_convolution_desc_t()
        try withUnsafeMutablePointer(to: &biasDesc) { b in
            try check(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, algorithm, &srcAny, &wAny,
                                                         bias ? b : nil, &dstAny, strides, padL, padR), "forward descriptor")
            // No bias: its gradient is `BiasGradient`'s (the pool after the layer sums it).
            try check(dnnl_convolution_backward_weights_desc_init(&wd, algorithm, &srcAny, &wAny, nil,
                                                                  &dstAny, strides, padL, padR), "backward weights descriptor")
        }
        try check(dnnl_convolution_backward_data_desc_init(&bd, algorithm, &srcAny, &wAny, &dstAny, strides, padL, padR),
                  "backward data descriptor")
        var fpd: dnnl_primitive_desc_t?, bpd: dnnl_primitive_desc_t?, wpd: dnnl_primitive_desc_t?
        var attr: dnnl_primitive_attr_t?, postOps: dnnl_post_ops_t?
        try check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if fusedReLU {
            try check(dnnl_post_ops_create(&postOps), "post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
            try check(dnnl_primitive_attr_set_post_ops(attr, postOps), "post-ops")
        }
        try check(dnnl_primitive_desc_create(&fpd, &fd, attr, engine, nil), "forward")
        defer { dnnl_primitive_desc_destroy(fpd) }
        try check(dnnl_primitive_desc_create(&bpd, &bd, OneDNN.userScratchpad, engine, fpd), "backward data")
        defer { dnnl_primitive_desc_destroy(bpd) }
        try check(dnnl_primitive_desc_create(&wpd, &wd, OneDNN.userScratchpad, engine, fpd), "backward weights")
        defer { dnnl_primitive_desc_destroy(wpd) }
        func md(_ pd: dnnl_primitive_desc_t?, _ q: dnnl_query_t) -> dnnl_memory_desc_t { dnnl_primitive_desc_query_md(pd, q, 0)!.pointee }
        var info: UnsafePointer<CChar>?
        _ = withUnsafeMutablePointer(to: &info) { dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, $0) }
        implementation = info.map { String(cString: $0) } ?? "?"
        forwardPrimitive = try Primitive(fpd, "forward", engine: engine)
        backwardDataPrimitive = try Primitive(bpd, "backward data", engine: engine)
        backwardWeightsPrimitive = try Primitive(wpd, "backward weights", engine: engine)

        let userSrc = try desc(srcDims, dnnl_abcd), userDst = try desc(dstDims, dnnl_abcd), userW = try desc(wDims, dnnl_abcd)
        userSource = try Memory(userSrc, owned: false, engine: engine)
        userWeights = try Memory(userW, owned: false, engine: engine)
        userDestination = try Memory(userDst, owned: false, engine: engine)
        userBias = try Memory(biasDesc, owned: false, engine: engine)
        // A primitive's own buffer where its format differs from the user's; the user's otherwise.
        func own(_ d: dnnl_memory_desc_t, like user: Memory) throws -> Memory {
            var a = d, b = user.desc
            return dnnl_memory_desc_equal(&a, &b) != 0 ? user : try Memory(d, owned: true, engine: engine)
        }
        source = try own(md(fpd, dnnl_query_src_md), like: userSource)
        weights = try own(md(fpd, dnnl_query_weights_md), like: userWeights)
        destination = try own(md(fpd, dnnl_query_dst_md), like: userDestination)
        // Backward weights: own buffers (gradients accumulate into the layer's, so never write them directly).
        backwardSource = try own(md(wpd, dnnl_query_src_md), like: source === userSource ? userSource : source)
        diffDestination = try own(md(wpd, dnnl_query_diff_dst_md), like: userDestination)
        diffWeights = try Memory(md(wpd, dnnl_query_diff_weights_md), owned: true, engine: engine)
        diffWeightsUser = try Memory(userW, owned: true, engine: engine)
        // Backward data.
        dataDiffDestination = try own(md(bpd, dnnl_query_diff_dst_md), like: diffDestination === userDestination ? userDestination : diffDestination)
        dataWeights = try own(md(bpd, dnnl_query_weights_md), like: userWeights)
        diffSource = try own(md(bpd, dnnl_query_diff_src_md), like: userSource)

        toSource = try Primitive.reorder(userSrc, source.desc, engine)
        toWeights = try Primitive.reorder(userW, weights.desc, engine)
        fromDestination = try Primitive.reorder(destination.desc, userDst, engine)
        toDiffDestination = try Primitive.reorder(userDst, diffDestination.desc, engine)
        toBackwardSource = backwardSource === source ? nil : try Primitive.reorder(userSrc, backwardSource.desc, engine)
        fromDiffWeights = try Primitive.reorder(diffWeights.desc, userW, engine)
        fromDiffSource = try Primitive.reorder(diffSource.desc, userSrc, engine)
        toDataDiffDestination = dataDiffDestination === diffDestination ? nil : try Primitive.reorder(userDst, dataDiffDestination.desc, engine)
        // Reordered again in backward: the weights may have changed since the forward.
        toDataWeights = try Primitive.reorder(userW, dataWeights.desc, engine)

        func plainBlock(_ formats: [dnnl_memory_desc_t], _ dims: [Int]) throws -> Int? {
            for (block, tag) in [(16, dnnl_aBcd16b), (8, dnnl_aBcd8b)] where dims[1] % block == 0 {
                var plain = try desc(dims, tag)
                if formats.allSatisfy({ var f = $0; return dnnl_memory_desc_equal(&f, &plain) != 0 }) { return block }
            }
            return nil
        }
        sourceBlock = try plainBlock([source.desc, backwardSource.desc, diffSource.desc], srcDims)
        destinationBlock = try plainBlock([destination.desc, diffDestination.desc, dataDiffDestination.desc], dstDims)
        sourceView = try Memory(source.desc, owned: false, engine: engine)
        destinationView = try Memory(destination.desc, owned: false, engine: engine)
    }

    private func run(_ p: Primitive, _ args: [(Int32, Memory)]) throws {
        var a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        if let pad = p.scratchpad { a.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: pad.memory)) }
        try check(dnnl_primitive_execute(p.primitive, stream, Int32(a.count), &a), "execute")
    }

    private func reorder(_ r: Primitive?, _ from: Memory, _ to: Memory) throws {
        guard let r else { return }
        try run(r, [(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)])
    }

    /// The memory for tensor `t` on the input side: `t` itself in the blocked format when
    /// `blocked`, else Descent's NCHW buffer (`userSource`) that the caller reorders from or to.
    private func sourceSide(_ t: Tensor, blocked: Bool) throws -> Memory {
        try (blocked ? sourceView : userSource).bind(t.data)
        return blocked ? sourceView : userSource
    }

    private func destinationSide(_ t: Tensor, blocked: Bool) throws -> Memory {
        try (blocked ? destinationView : userDestination).bind(t.data)
        return blocked ? destinationView : userDestination
    }

    /// `y = conv(x, w) + b`; x and y in NCHW, or in the blocked formats (`sourceBlock`,
    /// `destinationBlock`) when `blockedInput` / `blockedOutput`.
    func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, output y: Tensor, blockedInput: Bool = false, blockedOutput: Bool = false) throws {
        OneDNN.capThreads()
        try userWeights.bind(weight.data)
        var src = try sourceSide(x, blocked: blockedInput)
        if !blockedInput {
            try reorder(toSource, userSource, source)
            src = source
        }
        let userDst = try destinationSide(y, blocked: blockedOutput)
        let dst = blockedOutput ? userDst : destination
        try reorder(toWeights, userWeights, weights)
        var args: [(Int32, Memory)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, dst)]
        if let bias {
            try userBias.bind(bias.data)
            args.append((DNNL_ARG_BIAS, userBias))
        }
        try run(forwardPrimitive, args)
        if !blockedOutput { try reorder(fromDestination, destination, userDestination) }
        try check(dnnl_stream_wait(stream), "wait")
        lastInput = blockedInput ? nil : x
    }

    /// Adds the weight gradient of `y = conv(x)` with output gradient `gy` into `gradWeight`; x
    /// and gy in the layouts the forward had.
    func backwardWeights(_ x: Tensor, _ gy: Tensor, gradWeight: Tensor, blockedInput: Bool = false, blockedGradOutput: Bool = false) throws {
        OneDNN.capThreads()
        var src = try sourceSide(x, blocked: blockedInput)
        if !blockedInput {
            // The forward's reordered input is still valid when backward gets the same tensor.
            if lastInput !== x || toBackwardSource != nil {
                try reorder(toBackwardSource ?? toSource, userSource, backwardSource)
            }
            src = backwardSource
        }
        var diffDst = try destinationSide(gy, blocked: blockedGradOutput)
        if !blockedGradOutput {
            try reorder(toDiffDestination, userDestination, diffDestination)
            diffDst = diffDestination
        }
        try run(backwardWeightsPrimitive, [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_WEIGHTS, diffWeights)])
        try reorder(fromDiffWeights, diffWeights, diffWeightsUser)
        try check(dnnl_stream_wait(stream), "wait")
        diffDestinationHolds = blockedGradOutput ? nil : gy
        // Gradients accumulate, as every layer's do (oneDNN overwrites its outputs).
        let computed = (fromDiffWeights == nil ? diffWeights : diffWeightsUser).base, dst = gradWeight.data
        for i in 0..<gradWeight.count { dst[i] += computed[i] }
    }

    /// Writes the input gradient for output gradient `gy` and weights `weight` into `gradInput`.
    /// Right after `backwardWeights` with the same `gy` it reuses that pass's reordered `gy`;
    /// called later (a deferred input gradient), it reorders `gy` again.
    func backwardData(_ gy: Tensor, weight: Tensor, gradInput: Tensor, blockedGradOutput: Bool = false, blockedGradInput: Bool = false) throws {
        OneDNN.capThreads()
        try userWeights.bind(weight.data)
        var diffDst = try destinationSide(gy, blocked: blockedGradOutput)
        if !blockedGradOutput {
            if let r = toDataDiffDestination {
                try reorder(r, userDestination, dataDiffDestination)
            } else if diffDestinationHolds !== gy {
                try reorder(toDiffDestination, userDestination, dataDiffDestination)
            }
            diffDst = dataDiffDestination
        }
        let userDiffSrc = try sourceSide(gradInput, blocked: blockedGradInput)
        try reorder(toDataWeights, userWeights, dataWeights)
        try run(backwardDataPrimitive, [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_WEIGHTS, dataWeights),
                                        (DNNL_ARG_DIFF_SRC, blockedGradInput ? userDiffSrc : diffSource)])
        if !blockedGradInput { try reorder(fromDiffSource, diffSource, userSource) }
        try check(dnnl_stream_wait(stream), "wait")
        diffDestinationHolds = nil
    }
}

/// Throws a DescentError naming the oneDNN call that failed.
private func check(_ status: dnnl_status_t, _ what: String) throws {
    guard status == dnnl_success else { throw DescentError("nn.Conv2d", "oneDNN \(what) failed (status \(status.rawValue))") }
}
