/// A box in pixels, `(x1, y1)` top-left inclusive to `(x2, y2)` exclusive, with a class id.
public struct Box: Equatable, CustomStringConvertible {
    public var x1, y1, x2, y2: Double
    public var label: Int

    public init(x1: Double, y1: Double, x2: Double, y2: Double, label: Int) {
        (self.x1, self.y1, self.x2, self.y2, self.label) = (x1, y1, x2, y2, label)
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }
    public var area: Double { max(0, width) * max(0, height) }

    /// Intersection over union with `other` (0 when either is empty).
    public func iou(_ other: Box) -> Double {
        let w = min(x2, other.x2) - max(x1, other.x1), h = min(y2, other.y2) - max(y1, other.y1)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        return inter / (area + other.area - inter)
    }

    public var description: String { String(format: "box(%d: %.1f,%.1f-%.1f,%.1f)", label, x1, y1, x2, y2) }
}

/// What a sample is labelled with: one class, or boxes.
public enum Annotation: Equatable {
    case label(Int)
    case boxes([Box])
}

/// One image (CHW, Float32) and its annotation.
public struct Sample {
    public var image: [Float]
    public var annotation: Annotation

    public init(image: [Float], annotation: Annotation) {
        self.image = image
        self.annotation = annotation
    }
}

/// A finite, indexable collection of same-shaped images. Synthetic sets generate sample i
/// from (seed, i), so a sample never depends on which others were read.
public protocol Dataset: AnyObject {
    var name: String { get }
    /// [C, H, W]
    var imageShape: [Int] { get }
    var count: Int { get }
    var classNames: [String] { get }
    func sample(_ i: Int) throws -> Sample
}

/// An in-memory dataset (file loaders produce these).
public final class ArrayDataset: Dataset {
    public let name: String
    public let imageShape: [Int]
    public let classNames: [String]
    public let samples: [Sample]
    public var count: Int { samples.count }

    public init(name: String, imageShape: [Int], classNames: [String], samples: [Sample]) {
        self.name = name
        self.imageShape = imageShape
        self.classNames = classNames
        self.samples = samples
    }

    public func sample(_ i: Int) throws -> Sample { samples[i] }

    /// Class-labelled images; the classes are 0 through the largest label, named by number.
    public convenience init(name: String, imageShape: [Int], labelled samples: [Sample]) {
        let largest = samples.reduce(0) { m, s in if case .label(let l) = s.annotation { return Swift.max(m, l) }; return m }
        self.init(name: name, imageShape: imageShape, classNames: (0...largest).map(String.init), samples: samples)
    }
}
