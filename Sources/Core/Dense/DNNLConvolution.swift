import CDNNL
import Foundation

/// A convolution for one input shape through oneDNN's primitives: forward, backward data and
/// backward weights, each in the memory formats oneDNN picks for this CPU (channel-blocked, with
/// its JIT kernels), with reorders from and to Descent's NCHW tensors around them. The batch
/// runs in chunks, one thread each (`ConvolutionChunks` says why).
///
/// Why oneDNN: im2col + SGEMM on small images spends a third of the time outside the GEMM
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

        /// Over `storage` we own (sized for `desc`, `copies` times), or with no buffer until `bind`.
        init(_ desc: dnnl_memory_desc_t, owned: Bool, copies: Int = 1, engine: dnnl_engine_t) throws {
            self.desc = desc
            var d = desc
            storage = owned ? TensorStorage(count: max(1, copies * dnnl_memory_desc_get_size(&d) / 4), zeroed: false) : nil
            var m: dnnl_memory_t?
            try check(dnnl_memory_create(&m, &d, engine, storage.map { UnsafeMutableRawPointer($0.base) }), "memory")
            memory = m!
        }

        func bind(_ p: UnsafeMutablePointer<Float>) throws { try check(dnnl_memory_set_data_handle(memory, p), "memory handle") }
        var base: UnsafeMutablePointer<Float> { storage!.base }
        deinit { dnnl_memory_destroy(memory) }
    }

    /// A primitive, destroyed with its owner (also when the owner's init fails half-way).
    private final class Primitive {
        let primitive: dnnl_primitive_t
        /// What its scratchpad must hold (user scratchpad mode: oneDNN's library-managed one
        /// was freed and re-faulted on every call from OpenMP's threads, ~115 page faults per
        /// 2-thread reference-CNN step).
        let scratchpadDesc: dnnl_memory_desc_t?

        init(_ pd: dnnl_primitive_desc_t?, _ what: String) throws {
            var p: dnnl_primitive_t?
            try check(dnnl_primitive_create(&p, pd), what)
            primitive = p!
            var md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
            scratchpadDesc = dnnl_memory_desc_get_size(&md) > 0 ? md : nil
        }

        /// A reorder between two formats, or nil when they are the same.
        static func reorder(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t, _ engine: dnnl_engine_t) throws -> Primitive? {
            var a = from, b = to
            if dnnl_memory_desc_equal(&a, &b) != 0 { return nil }
            var pd: dnnl_primitive_desc_t?
            try check(dnnl_reorder_primitive_desc_create(&pd, &a, engine, &b, engine, OneDNN.userScratchpad), "reorder")
            defer { dnnl_primitive_desc_destroy(pd) }
            return try Primitive(pd, "reorder")
        }

        /// Runs it on `stream` and waits.
        func execute(on stream: dnnl_stream_t, scratchpad: Memory?, _ args: [(Int32, Memory)]) throws {
            var a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
            if let scratchpad { a.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad.memory)) }
            try check(dnnl_primitive_execute(primitive, stream, Int32(a.count), &a), "execute")
            try check(dnnl_stream_wait(stream), "wait")
        }

        deinit { dnnl_primitive_destroy(primitive) }
    }

    /// A whole-batch reorder (of the weights) with its own scratchpad, run on the calling thread.
    private final class Reorder {
        let primitive: Primitive
        let scratchpad: Memory?

        /// Nil when the two formats are the same.
        init?(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t, _ engine: dnnl_engine_t) throws {
            guard let p = try Primitive.reorder(from, to, engine) else { return nil }
            primitive = p
            scratchpad = try p.scratchpadDesc.map { try Memory($0, owned: true, engine: engine) }
        }
    }

    /// The activation sides of the three passes, each in the format its pass computes in.
    private enum Side: CaseIterable {
        case source, destination                          // forward
        case backwardSource, diffDestination, diffWeights // backward weights
        case dataDiffDestination, diffSource              // backward data

        /// Whether it holds activations (images one after another), not weights.
        var perImage: Bool { self != .diffWeights }
        /// Whether it is shaped like the convolution's input rather than its output.
        var inputShaped: Bool { self == .source || self == .backwardSource || self == .diffSource }
    }

    /// The three primitives for chunks of one size, planned for one thread, and the formats
    /// they compute in (for a chunk).
    private struct Kernels {
        let images: Int
        let forward, backwardData, backwardWeights: Primitive
        let source, weights, destination: dnnl_memory_desc_t
        let backwardSource, diffDestination, diffWeights: dnnl_memory_desc_t
        let dataDiffDestination, dataWeights, diffSource: dnnl_memory_desc_t
        let implementation: String
        /// Between Descent's NCHW and the primitives' formats, for a chunk (absent where the
        /// formats agree): the formats each goes from and to.
        var reorders: [ActivationReorder: (primitive: Primitive, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t)] = [:]

        func desc(_ side: Side) -> dnnl_memory_desc_t {
            switch side {
            case .source: return source
            case .destination: return destination
            case .backwardSource: return backwardSource
            case .diffDestination: return diffDestination
            case .diffWeights: return diffWeights
            case .dataDiffDestination: return dataDiffDestination
            case .diffSource: return diffSource
            }
        }

        var primitives: [Primitive] { [forward, backwardData, backwardWeights] + reorders.values.map(\.primitive) }
        var diffWeightsFloats: Int { var d = diffWeights; return dnnl_memory_desc_get_size(&d) / 4 }
    }

    /// The activation reorders, run chunk by chunk like the convolutions (one thread each, the
    /// chunk still in cache for the primitive that reads it): from Descent's NCHW into a side's
    /// format, or out of it.
    private enum ActivationReorder: CaseIterable {
        case toSource, fromDestination, toBackwardSource, toDiffDestination, toDataDiffDestination, fromDiffSource

        var side: Side {
            switch self {
            case .toSource: return .source
            case .fromDestination: return .destination
            case .toBackwardSource: return .backwardSource
            case .toDiffDestination: return .diffDestination
            case .toDataDiffDestination: return .dataDiffDestination
            case .fromDiffSource: return .diffSource
            }
        }

        var intoSide: Bool { self != .fromDestination && self != .fromDiffSource }
    }

    /// What one thread needs to run chunks: its stream, memory objects over the chunk it runs
    /// (rebound per chunk) and scratchpads, per chunk size.
    private final class Lane {
        let stream: dnnl_stream_t
        /// Per chunk size, per side.
        let views: [[Side: Memory]]
        /// Per chunk size and reorder: its two sides.
        let reorders: [[ActivationReorder: (from: Memory, to: Memory)]]
        /// Each primitive's scratchpad, by primitive.
        private let scratchpads: [ObjectIdentifier: Memory]
        /// A chunk's output, or output gradient, that never goes to a whole-batch tensor (see
        /// `forward`'s and `backward`'s `afterChunk` and `chunkGradient`): it stays in this
        /// core's cache between the convolution and the pool.
        private var chunkStorage: TensorStorage?

        init(_ kernels: [Kernels], engine: dnnl_engine_t) throws {
            var s: dnnl_stream_t?
            try check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream")
            stream = s!
            views = try kernels.map { k in
                try Dictionary(uniqueKeysWithValues: Side.allCases.map { ($0, try Memory(k.desc($0), owned: false, engine: engine)) })
            }
            reorders = try kernels.map { k in
                try k.reorders.mapValues { r in (try Memory(r.from, owned: false, engine: engine), try Memory(r.to, owned: false, engine: engine)) }
            }
            var pads: [ObjectIdentifier: Memory] = [:]
            for p in kernels.flatMap(\.primitives) {
                if let d = p.scratchpadDesc { pads[ObjectIdentifier(p)] = try Memory(d, owned: true, engine: engine) }
            }
            scratchpads = pads
        }

        func run(_ p: Primitive, _ args: [(Int32, Memory)]) throws {
            try p.execute(on: stream, scratchpad: scratchpads[ObjectIdentifier(p)], args)
        }

        /// The chunk buffer, `floats` long (the same on every call for a convolution), taken on
        /// first use.
        func chunk(_ floats: Int) -> UnsafeMutablePointer<Float> {
            if chunkStorage?.count != floats { chunkStorage = TensorStorage(count: floats, zeroed: false) }
            return chunkStorage!.base
        }

        deinit { dnnl_stream_destroy(stream) }
    }

    /// oneDNN's name for the forward kernel, e.g. "jit:avx512_core".
    let implementation: String
    /// The channel block (8 or 16) of oneDNN's format for the input and its gradient, and for the
    /// output and its gradient, when every pass uses that same plain blocked format (aBcd8b or
    /// aBcd16b, channels a multiple of the block): then a neighbour may hand tensors over in it
    /// (`Sequential` between convolutions and 2x2 max pools) and the reorders go. Nil otherwise.
    let sourceBlock, destinationBlock: Int?

    private let engine: dnnl_engine_t, stream: dnnl_stream_t
    private let chunks: ConvolutionChunks
    private let kernels: [Kernels]
    private var lanes: [Lane] = []
    /// Floats per image of each side's format (activation sides only).
    private let imageStrides: [Side: Int]
    /// A lane's chunk buffer: the largest chunk of output, or output gradient, in the blocked
    /// format (the two sides' formats are the same where a pool reads them).
    private var chunkFloats: Int { kernels[0].images * imageStrides[.destination]! }
    // Descent's OIHW weights and bias, bound per call.
    private let userWeights, userBias: Memory
    // Whole-batch buffers in the primitives' formats where they differ from Descent's NCHW (nil:
    // the tensor is used as it is); the chunks are reordered into and out of them.
    private let source, destination, backwardSource, diffDestination, dataDiffDestination, diffSource: Memory?
    /// Floats per image of an NCHW input and output.
    private let userImageFloats: (source: Int, destination: Int)
    private let weights, dataWeights: Memory
    private let toWeights, toDataWeights: Reorder?
    /// Each chunk's weight gradient, one after another, summed in chunk order into the first.
    private let partialDiffWeights: Memory
    private let diffWeightsUser: Memory
    private let fromDiffWeights: Reorder?
    /// The tensor the last forward reordered, so backward can reuse its reordered copy.
    private weak var lastInput: Tensor?
    /// The output gradient `diffDestination` holds in backward's format (set by `backwardWeights`).
    private weak var diffDestinationHolds: Tensor?

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
        chunks = ConvolutionChunks(batch: n, imageBytes: 4 * (g.channels * g.height * g.width + outChannels * g.outHeight * g.outWidth))
        let wDims = [outChannels, g.channels, g.kernelH, g.kernelW]
        let biasDesc = try Self.desc([outChannels], dnnl_a)
        // Planned for one thread: each chunk runs on one.
        OneDNN.useOneThread()
        kernels = try chunks.sizes.map { try Self.kernels(images: $0, g, outChannels: outChannels, bias: bias ? biasDesc : nil, fusedReLU: fusedReLU, algorithm: algorithm) }
        let k = kernels[0]
        implementation = k.implementation
        // Every chunk size must compute in the same layouts, with the batch outermost.
        let activations = Side.allCases.filter(\.perImage)
        imageStrides = try Dictionary(uniqueKeysWithValues: activations.map { side in
            guard let stride = k.desc(side).imageStride else { throw DescentError("nn.Conv2d", "oneDNN chose a layout that does not keep images apart") }
            return (side, stride)
        })
        for other in kernels.dropFirst() {
            guard activations.allSatisfy({ Self.equal(other.desc($0).withBatch(n), k.desc($0).withBatch(n)) }),
                  Self.equal(other.weights, k.weights), Self.equal(other.dataWeights, k.dataWeights), Self.equal(other.diffWeights, k.diffWeights)
            else { throw DescentError("nn.Conv2d", "oneDNN chose different layouts for the last chunk") }
        }

        let srcDims = [n, g.channels, g.height, g.width], dstDims = [n, outChannels, g.outHeight, g.outWidth]
        let userSrc = try Self.desc(srcDims, dnnl_abcd), userDst = try Self.desc(dstDims, dnnl_abcd), userW = try Self.desc(wDims, dnnl_abcd)
        userImageFloats = (g.channels * g.height * g.width, outChannels * g.outHeight * g.outWidth)
        userWeights = try Memory(userW, owned: false, engine: engine)
        userBias = try Memory(biasDesc, owned: false, engine: engine)
        /// A whole-batch buffer in chunk format `d` where it differs from the user's `user`.
        func own(_ d: dnnl_memory_desc_t, like user: dnnl_memory_desc_t) throws -> Memory? {
            Self.equal(d.withBatch(n), user) ? nil : try Memory(d.withBatch(n), owned: true, engine: engine)
        }
        source = try own(k.source, like: userSrc)
        destination = try own(k.destination, like: userDst)
        backwardSource = Self.equal(k.backwardSource, k.source) ? source : try own(k.backwardSource, like: userSrc)
        diffDestination = try own(k.diffDestination, like: userDst)
        dataDiffDestination = Self.equal(k.dataDiffDestination, k.diffDestination) ? diffDestination : try own(k.dataDiffDestination, like: userDst)
        diffSource = try own(k.diffSource, like: userSrc)
        weights = Self.equal(k.weights, userW) ? userWeights : try Memory(k.weights, owned: true, engine: engine)
        dataWeights = Self.equal(k.dataWeights, userW) ? userWeights : try Memory(k.dataWeights, owned: true, engine: engine)
        toWeights = try Reorder(userW, k.weights, engine)
        // Reordered again in backward: the weights may have changed since the forward.
        toDataWeights = try Reorder(userW, k.dataWeights, engine)
        partialDiffWeights = try Memory(k.diffWeights, owned: true, copies: chunks.count, engine: engine)
        diffWeightsUser = try Memory(userW, owned: true, engine: engine)
        fromDiffWeights = try Reorder(k.diffWeights, userW, engine)

        func plainBlock(_ formats: [dnnl_memory_desc_t], _ dims: [Int]) throws -> Int? {
            for (block, tag) in [(16, dnnl_aBcd16b), (8, dnnl_aBcd8b)] where dims[1] % block == 0 {
                let plain = try Self.desc(dims, tag)
                if formats.allSatisfy({ Self.equal($0.withBatch(n), plain) }) { return block }
            }
            return nil
        }
        sourceBlock = try plainBlock([k.source, k.backwardSource, k.diffSource], srcDims)
        destinationBlock = try plainBlock([k.destination, k.diffDestination, k.dataDiffDestination], dstDims)
    }

    private static func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "memory descriptor")
        return md
    }

    private static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    private static func kernels(images: Int, _ g: ConvGeometry, outChannels: Int, bias: dnnl_memory_desc_t?, fusedReLU: Bool,
                                algorithm: dnnl_alg_kind_t) throws -> Kernels {
        guard let (engine, _) = OneDNN.context else { throw DescentError("nn.Conv2d", "oneDNN is not available") }
        let any = { (dims: [Int]) in try desc(dims, dnnl_format_tag_any) }
        var srcAny = try any([images, g.channels, g.height, g.width]), dstAny = try any([images, outChannels, g.outHeight, g.outWidth])
        var wAny = try any([outChannels, g.channels, g.kernelH, g.kernelW])
        let strides = [Int64(g.strideH), Int64(g.strideW)], padL = [Int64(g.padH), Int64(g.padW)]
        // Right/bottom padding that yields the floor-mode output size.
        let padR = [Int64((g.outHeight - 1) * g.strideH + g.kernelH - g.height - g.padH),
                    Int64((g.outWidth - 1) * g.strideW + g.kernelW - g.width - g.padW)]

        var fd = dnnl_convolution_desc_t(), bd = dnnl_convolution_desc_t(), wd = dnnl_convolution_desc_t()
        var biasDesc = bias ?? dnnl_memory_desc_t()
        try withUnsafeMutablePointer(to: &biasDesc) { b in
            try check(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, algorithm, &srcAny, &wAny,
                                                         bias != nil ? b : nil, &dstAny, strides, padL, padR), "forward descriptor")
        }
        // No bias: its gradient is `BiasGradient`'s (the pool after the layer sums it).
        try check(dnnl_convolution_backward_weights_desc_init(&wd, algorithm, &srcAny, &wAny, nil, &dstAny, strides, padL, padR),
                  "backward weights descriptor")
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
        var k = Kernels(images: images,
                       forward: try Primitive(fpd, "forward"), backwardData: try Primitive(bpd, "backward data"),
                       backwardWeights: try Primitive(wpd, "backward weights"),
                       source: md(fpd, dnnl_query_src_md), weights: md(fpd, dnnl_query_weights_md), destination: md(fpd, dnnl_query_dst_md),
                       backwardSource: md(wpd, dnnl_query_src_md), diffDestination: md(wpd, dnnl_query_diff_dst_md),
                       diffWeights: md(wpd, dnnl_query_diff_weights_md),
                       dataDiffDestination: md(bpd, dnnl_query_diff_dst_md), dataWeights: md(bpd, dnnl_query_weights_md),
                       diffSource: md(bpd, dnnl_query_diff_src_md),
                       implementation: info.map { String(cString: $0) } ?? "?")
        let userSrc = try desc([images, g.channels, g.height, g.width], dnnl_abcd), userDst = try desc([images, outChannels, g.outHeight, g.outWidth], dnnl_abcd)
        for r in ActivationReorder.allCases {
            let user = r.side.inputShaped ? userSrc : userDst, ours = k.desc(r.side)
            let (from, to) = r.intoSide ? (user, ours) : (ours, user)
            if let p = try Primitive.reorder(from, to, engine) { k.reorders[r] = (p, from, to) }
        }
        return k
    }

    private func reorder(_ r: Reorder?, _ from: Memory, _ to: Memory) throws {
        try r?.primitive.execute(on: stream, scratchpad: r?.scratchpad, [(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)])
    }

    /// `t`'s data in a primitive's format: `t` itself where the formats agree, else `buffer`
    /// after reordering `t` into it chunk by chunk (unless `current`: it holds `t` already).
    private func prepared(_ t: Tensor, _ r: ActivationReorder, into buffer: Memory?, current: Bool = false) throws -> UnsafeMutablePointer<Float> {
        guard let buffer else { return t.data }
        if !current { try reorder(r, from: t.data, to: buffer.base) }
        return buffer.base
    }

    /// Runs reorder `r` over the batch, a chunk at a time on the next free thread.
    private func reorder(_ r: ActivationReorder, from: UnsafeMutablePointer<Float>, to: UnsafeMutablePointer<Float>) throws {
        let user = r.side.inputShaped ? userImageFloats.source : userImageFloats.destination, ours = imageStrides[r.side]!
        let (fromStride, toStride) = r.intoSide ? (user, ours) : (ours, user)
        try eachChunk { k, lane, s, _, first in
            guard let p = k.reorders[r], let m = lane.reorders[s][r] else { return }
            try m.from.bind(from + first * fromStride)
            try m.to.bind(to + first * toStride)
            try lane.run(p.primitive, [(DNNL_ARG_FROM, m.from), (DNNL_ARG_TO, m.to)])
        }
    }

    /// Runs `body(kernels, lane, chunk size index, chunk, first image)` for every chunk, each
    /// chunk on the next free thread; the first error is rethrown.
    /// With `chunkBuffers`, every lane has its chunk buffer first (taken here, not by whichever
    /// lane happens to run its first chunk in some later call).
    private func eachChunk(chunkBuffers: Bool = false, _ body: (Kernels, Lane, Int, Int, Int) throws -> Void) throws {
        let workers = min(Parallel.threads, chunks.count)
        while lanes.count < workers { lanes.append(try Lane(kernels, engine: engine)) }
        if chunkBuffers { for lane in lanes { _ = lane.chunk(chunkFloats) } }
        let failure = FirstError()
        Parallel.forEachTaken(chunks.count) { c, w in
            let (first, images) = chunks.chunk(c)
            let s = images == kernels[0].images ? 0 : 1
            do { try body(kernels[s], lanes[w], s, c, first) } catch { failure.record(error) }
        }
        if let e = failure.error { throw e }
    }

    /// `lane`'s memory for `side` (chunk size `s`) over the batch at `base`, from image `first`.
    private func view(_ lane: Lane, _ s: Int, _ side: Side, _ base: UnsafeMutablePointer<Float>, image first: Int) throws -> Memory {
        let m = lane.views[s][side]!
        try m.bind(base + first * imageStrides[side]!)
        return m
    }

    /// `y = conv(x, w) + b`; x in NCHW, or in the blocked format (`sourceBlock`) when
    /// `blockedInput`. With `y`, the output goes there in NCHW. Without, each chunk goes in the
    /// blocked format (`destinationBlock`) to this thread's chunk buffer and nowhere else, and
    /// `afterChunk(output, images)` runs on it right after it is computed, on its thread, while
    /// it is in cache (`output` points at the chunk's first image).
    func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, output y: Tensor?, blockedInput: Bool = false,
                 afterChunk: ((UnsafeMutablePointer<Float>, Range<Int>) -> Void)? = nil) throws {
        precondition((y == nil) == (afterChunk != nil), "an output in a tensor or to per-chunk work")
        OneDNN.useOneThread()
        try userWeights.bind(weight.data)
        try reorder(toWeights, userWeights, weights)
        let src = blockedInput ? x.data : try prepared(x, .toSource, into: source)
        let dst = y.map { destination?.base ?? $0.data }
        let stride = imageStrides[.destination]!
        if let bias { try userBias.bind(bias.data) }
        try eachChunk(chunkBuffers: y == nil) { k, lane, s, _, first in
            let out = dst.map { $0 + first * stride } ?? lane.chunk(chunkFloats)
            var args: [(Int32, Memory)] = [(DNNL_ARG_SRC, try view(lane, s, .source, src, image: first)), (DNNL_ARG_WEIGHTS, weights),
                                           (DNNL_ARG_DST, try view(lane, s, .destination, out, image: 0))]
            if bias != nil { args.append((DNNL_ARG_BIAS, userBias)) }
            try lane.run(k.forward, args)
            afterChunk?(out, first ..< first + k.images)
        }
        if let y, let destination { try reorder(.fromDestination, from: destination.base, to: y.data) }
        lastInput = blockedInput ? nil : x
    }

    /// Adds the weight gradient of `y = conv(x)` with output gradient `gy` (NCHW) into
    /// `gradWeight`; x in the layout the forward had.
    func backwardWeights(_ x: Tensor, _ gy: Tensor, gradWeight: Tensor, blockedInput: Bool = false) throws {
        OneDNN.useOneThread()
        let src = try backwardSource(x, blockedInput: blockedInput)
        let diffDst = try prepared(gy, .toDiffDestination, into: diffDestination)
        try eachChunk { k, lane, s, c, first in
            try weightGradient(k, lane, s, chunk: c, src: src, first: first, diffDestination: try view(lane, s, .diffDestination, diffDst, image: first))
        }
        try addWeightGradient(into: gradWeight)
        diffDestinationHolds = gy
    }

    /// Both gradients of `y = conv(x)` (its output blocked) from an output gradient that
    /// `chunkGradient(images, into)` writes chunk by chunk into this thread's chunk buffer right
    /// before the chunk's two passes read it: the weight gradient is added into `gradWeight`, the
    /// input gradient written into `gradInput` when given (in the input's layout, blocked when
    /// `blockedInput`). x in the layout the forward had.
    func backward(_ x: Tensor, chunkGradient: (Range<Int>, UnsafeMutablePointer<Float>) -> Void, gradWeight: Tensor,
                  weight: Tensor, gradInput: Tensor?, blockedInput: Bool) throws {
        OneDNN.useOneThread()
        let src = try backwardSource(x, blockedInput: blockedInput)
        if gradInput != nil { try prepareDataWeights(weight) }
        let diffSrc = gradInput.map { blockedInput ? $0.data : diffSource?.base ?? $0.data }
        try eachChunk(chunkBuffers: true) { k, lane, s, c, first in
            let gy = lane.chunk(chunkFloats)
            chunkGradient(first ..< first + k.images, gy)
            try weightGradient(k, lane, s, chunk: c, src: src, first: first, diffDestination: try view(lane, s, .diffDestination, gy, image: 0))
            if let diffSrc { try inputGradient(k, lane, s, diffDestination: try view(lane, s, .dataDiffDestination, gy, image: 0), diffSrc, first: first) }
        }
        try addWeightGradient(into: gradWeight)
        if let gradInput, !blockedInput, let diffSource { try reorder(.fromDiffSource, from: diffSource.base, to: gradInput.data) }
        diffDestinationHolds = nil
    }

    /// `weight` in backward data's format, in `dataWeights` (from the weights as they are now,
    /// which may have changed since the forward).
    private func prepareDataWeights(_ weight: Tensor) throws {
        try userWeights.bind(weight.data)
        try reorder(toDataWeights, userWeights, dataWeights)
    }

    /// The input in backward weights' format (the forward's reordered copy when it is the same
    /// tensor and format).
    private func backwardSource(_ x: Tensor, blockedInput: Bool) throws -> UnsafeMutablePointer<Float> {
        blockedInput ? x.data : try prepared(x, .toBackwardSource, into: backwardSource, current: lastInput === x && backwardSource === source)
    }

    /// Chunk `c`'s weight gradient into its own partial.
    private func weightGradient(_ k: Kernels, _ lane: Lane, _ s: Int, chunk c: Int, src: UnsafeMutablePointer<Float>, first: Int,
                                diffDestination: Memory) throws {
        let diffWeights = lane.views[s][.diffWeights]!
        try diffWeights.bind(partialDiffWeights.base + c * kernels[0].diffWeightsFloats)
        try lane.run(k.backwardWeights, [(DNNL_ARG_SRC, try view(lane, s, .backwardSource, src, image: first)),
                                         (DNNL_ARG_DIFF_DST, diffDestination), (DNNL_ARG_DIFF_WEIGHTS, diffWeights)])
    }

    /// A chunk's input gradient into the batch at `diffSrc`.
    private func inputGradient(_ k: Kernels, _ lane: Lane, _ s: Int, diffDestination: Memory, _ diffSrc: UnsafeMutablePointer<Float>, first: Int) throws {
        try lane.run(k.backwardData, [(DNNL_ARG_DIFF_DST, diffDestination), (DNNL_ARG_WEIGHTS, dataWeights),
                                      (DNNL_ARG_DIFF_SRC, try view(lane, s, .diffSource, diffSrc, image: first))])
    }

    /// The chunks' weight gradients summed in chunk order (whichever thread ran which) and added
    /// into `gradWeight`: gradients accumulate, as every layer's do (oneDNN overwrites its outputs).
    private func addWeightGradient(into gradWeight: Tensor) throws {
        let partials = partialDiffWeights.base, size = kernels[0].diffWeightsFloats
        for c in 1..<max(1, chunks.count) {
            let p = partials + c * size
            for i in 0..<size { partials[i] += p[i] }
        }
        try reorder(fromDiffWeights, partialDiffWeights, diffWeightsUser)
        let computed = fromDiffWeights == nil ? partials : diffWeightsUser.base, dst = gradWeight.data
        for i in 0..<gradWeight.count { dst[i] += computed[i] }
    }

    /// Writes the input gradient for output gradient `gy` (NCHW, or blocked when
    /// `blockedGradOutput`) and weights `weight` into `gradInput`. Right after `backwardWeights`
    /// with the same `gy` it reuses that pass's reordered `gy`; called later (a deferred input
    /// gradient), it reorders `gy` again.
    func backwardData(_ gy: Tensor, weight: Tensor, gradInput: Tensor, blockedGradOutput: Bool = false, blockedGradInput: Bool = false) throws {
        OneDNN.useOneThread()
        try prepareDataWeights(weight)
        let diffDst = blockedGradOutput ? gy.data : try prepared(gy, .toDataDiffDestination, into: dataDiffDestination,
                                                                 current: dataDiffDestination === diffDestination && diffDestinationHolds === gy)
        let diffSrc = blockedGradInput ? gradInput.data : diffSource?.base ?? gradInput.data
        try eachChunk { k, lane, s, _, first in
            try inputGradient(k, lane, s, diffDestination: try view(lane, s, .dataDiffDestination, diffDst, image: first), diffSrc, first: first)
        }
        if !blockedGradInput, let diffSource { try reorder(.fromDiffSource, from: diffSource.base, to: gradInput.data) }
        diffDestinationHolds = nil
    }
}

/// The first error a parallel loop's pieces threw.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func record(_ e: Error) { lock.withLock { if error == nil { error = e } } }
}

/// Throws a DescentError naming the oneDNN call that failed.
private func check(_ status: dnnl_status_t, _ what: String) throws {
    guard status == dnnl_success else { throw DescentError("nn.Conv2d", "oneDNN \(what) failed (status \(status.rawValue))") }
}
