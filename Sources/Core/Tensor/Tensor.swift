/// A dense Float32 array: contiguous, row-major, with a shape.
///
/// `Tensor` is a reference type: assignment shares, `clone()` copies. Layers hand out their
/// `weight` and `bias` tensors and scripts mutate them in place, so sharing is the point;
/// every operation that returns a new tensor says so, and in-place ones end in `_` in Lua.
/// `reshape` shares storage, as a view. Images are NCHW, conv weights `[out, in, kh, kw]`,
/// linear weights `[out, in]` (the PyTorch layout).
public final class Tensor {
    /// The buffer, possibly shared with views.
    public let storage: TensorStorage
    /// Extent of each dimension; a scalar has shape `[]` and one element.
    public let shape: [Int]
    /// Number of elements (the product of `shape`).
    public let count: Int

    /// Pointer to the first element.
    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.base }

    /// A zero-filled tensor. Sizes must be non-negative (checked by `validated`).
    public init(zeros shape: [Int]) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.count = n
        self.storage = TensorStorage(count: n)
    }

    /// A tensor whose contents are undefined: for outputs every element of which is written next.
    public init(uninitialized shape: [Int]) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.count = n
        self.storage = TensorStorage(count: n, zeroed: false)
    }

    /// A tensor over existing storage (views).
    public init(storage: TensorStorage, shape: [Int]) {
        self.storage = storage
        self.shape = shape
        self.count = shape.reduce(1, *)
    }

    /// A tensor holding `values` with `shape`.
    public convenience init(_ values: [Float], shape: [Int]) throws {
        try Tensor.checkShape(shape, "tensor")
        guard values.count == shape.reduce(1, *) else {
            throw DescentError("tensor", "\(shape.reduce(1, *)) values expected for shape \(formatShape(shape)), got \(values.count)")
        }
        self.init(storage: try TensorStorage.checked(count: values.count, zeroed: false, "tensor"), shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A 1-D tensor of `values`.
    public convenience init(_ values: [Float]) {
        self.init(zeros: [values.count])
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { data.update(from: b, count: values.count) } }
    }

    /// At most this many dimensions (a deeper shape is a mistake, and recursive walks stay shallow).
    public static let maximumRank = 32

    /// Throws unless every extent is non-negative (zero-size tensors are legal, as in PyTorch),
    /// the rank is at most `maximumRank`, and the tensor's bytes fit `TensorStorage.maximumBytes`.
    public static func checkShape(_ shape: [Int], _ op: String) throws {
        guard shape.count <= maximumRank else {
            throw DescentError.argument(op, "shape", "may have at most \(maximumRank) dimensions, got \(shape.count)")
        }
        for (i, d) in shape.enumerated() where d < 0 {
            throw DescentError.argument(op, "shape", "must have non-negative sizes, got \(formatShape(shape)) (dimension \(i + 1))")
        }
        guard let n = checkedProduct(shape), let bytes = checkedProduct([n, 4]), bytes <= TensorStorage.maximumBytes else {
            let size = checkedProduct(shape).flatMap { checkedProduct([$0, 4]) }.map { "\($0) bytes" } ?? "more bytes than a 64-bit size holds"
            throw DescentError(op, "cannot allocate \(size) for a tensor of shape \(formatShape(shape)) (limit \(TensorStorage.maximumBytes) bytes, DESCENT_MAX_TENSOR_BYTES)")
        }
    }

    /// Rank (number of dimensions).
    public var rank: Int { shape.count }

    /// The elements as a Swift array (copies).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A buffer view of the elements (no copy).
    @inline(__always) public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }

    /// An independent copy.
    public func clone() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// A zero tensor of the same shape.
    public func zerosLike() -> Tensor { Tensor(zeros: shape) }

    /// A view with another shape and the same number of elements; one extent may be -1.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else { throw DescentError.argument("reshape", "shape", "can infer at most one dimension (-1), got \(formatShape(newShape))") }
        for d in newShape where d < -1 { throw DescentError.argument("reshape", "shape", "must have non-negative sizes, got \(formatShape(newShape))") }
        guard newShape.count <= Self.maximumRank else {
            throw DescentError.argument("reshape", "shape", "may have at most \(Self.maximumRank) dimensions, got \(newShape.count)")
        }
        if let i = inferred.first {
            let known = checkedProduct(newShape.enumerated().filter { $0.offset != i }.map(\.element)) ?? 0
            guard known > 0, count % known == 0 else {
                throw DescentError("reshape", "cannot reshape \(formatShape(shape)) (\(count) elements) into \(formatShape(newShape))")
            }
            resolved[i] = count / known
        }
        guard checkedProduct(resolved) == count else {
            throw DescentError("reshape", "cannot reshape \(formatShape(shape)) (\(count) elements) into \(formatShape(newShape))")
        }
        return Tensor(storage: storage, shape: resolved)
    }

    /// Row-major flat offset of a 0-based multi-index, or nil if it is out of range.
    public func offset(of index: [Int]) -> Int? {
        guard index.count == shape.count else { return nil }
        var off = 0
        for (i, d) in zip(index, shape) {
            guard i >= 0, i < d else { return nil }
            off = off * d + i
        }
        return off
    }

    /// Element access by flat index.
    @inline(__always) public subscript(flat i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Throws unless `other` has this tensor's shape.
    public func requireSameShape(_ other: Tensor, _ op: String, _ name: String = "argument") throws {
        guard other.shape == shape else {
            throw DescentError(op, "\(name) of shape \(formatShape(shape)) expected, got \(formatShape(other.shape))")
        }
    }

    /// Size of dimension `d`, counting negative `d` from the end.
    public func size(_ d: Int) -> Int { shape[d < 0 ? shape.count + d : d] }
}
