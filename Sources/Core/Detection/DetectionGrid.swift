import Foundation

/// One detection: a box with a class and a confidence.
public struct Detection: Equatable {
    public var box: Box
    public var score: Double

    public init(box: Box, score: Double) {
        self.box = box
        self.score = score
    }
}

/// The single-shot detector's output layout and its coding of boxes: an output of shape
/// [N, classes + 4, G, G] holds, per grid cell, one logit per class and four box offsets.
///
/// A ground-truth box is assigned to the cell holding its centre (the larger box wins a shared
/// cell). Offsets: `tx, ty` the centre's position inside the cell (0..1), `tw, th` the log of
/// width and height in units of the cell size. The target tensor has shape
/// [N, classes + 5, G, G]: class indicators, the four offsets, and a positive-cell mask.
public struct DetectionGrid: Equatable {
    public let classes: Int
    public let grid: Int
    public let stride: Int

    public init(classes: Int, imageSize: Int, stride: Int = 8) throws {
        guard imageSize >= 32, imageSize % stride == 0 else {
            throw DescentError.argument("detector", "input size", "must be a multiple of \(stride) and >= 32, got \(imageSize)")
        }
        self.classes = classes
        self.stride = stride
        grid = imageSize / stride
    }

    public var outputChannels: Int { classes + 4 }

    /// The dense target for a batch.
    public func encode(_ batch: [[Box]]) -> Tensor {
        let g = grid, ch = classes + 5, s = Double(stride)
        let t = Tensor(zeros: [batch.count, ch, g, g])
        for (n, boxes) in batch.enumerated() {
            for b in boxes.sorted(by: { $0.area < $1.area }) where b.width > 0 && b.height > 0 && b.label < classes {
                let cx = (b.x1 + b.x2) / 2 / s, cy = (b.y1 + b.y2) / 2 / s
                let j = min(g - 1, max(0, Int(cx))), i = min(g - 1, max(0, Int(cy)))
                func at(_ c: Int) -> Int { ((n * ch + c) * g + i) * g + j }
                for c in 0..<classes { t.data[at(c)] = 0 }
                t.data[at(b.label)] = 1
                t.data[at(classes)] = Float(cx - Double(j))
                t.data[at(classes + 1)] = Float(cy - Double(i))
                t.data[at(classes + 2)] = Float(Foundation.log(b.width / s))
                t.data[at(classes + 3)] = Float(Foundation.log(b.height / s))
                t.data[at(classes + 4)] = 1
            }
        }
        return t
    }

    /// Detections per image: cells whose class probability exceeds `threshold`, decoded, then
    /// non-maximum suppression per class at `nmsIoU`, best `limit` kept.
    public func decode(_ output: Tensor, threshold: Double = 0.05, nmsIoU: Double = 0.5, limit: Int = 100) -> [[Detection]] {
        let g = grid, ch = outputChannels, s = Double(stride), n = output.shape[0]
        return (0..<n).map { img in
            func at(_ c: Int, _ i: Int, _ j: Int) -> Double { Double(output.data[((img * ch + c) * g + i) * g + j]) }
            var found: [Detection] = []
            for i in 0..<g {
                for j in 0..<g {
                    let cx = (Double(j) + at(classes, i, j)) * s, cy = (Double(i) + at(classes + 1, i, j)) * s
                    let w = Foundation.exp(min(10, at(classes + 2, i, j))) * s, h = Foundation.exp(min(10, at(classes + 3, i, j))) * s
                    for c in 0..<classes {
                        let p = 1 / (1 + Foundation.exp(-at(c, i, j)))
                        if p > threshold {
                            found.append(Detection(box: Box(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, label: c), score: p))
                        }
                    }
                }
            }
            return Array(Self.nonMaximumSuppression(found, iou: nmsIoU).prefix(limit))
        }
    }

    /// Greedy NMS per class: highest score first, dropping boxes overlapping a kept one by more
    /// than `iou`. Returns all kept detections by descending score.
    public static func nonMaximumSuppression(_ detections: [Detection], iou: Double) -> [Detection] {
        var kept: [Detection] = []
        for d in detections.sorted(by: { $0.score > $1.score }) {
            if !kept.contains(where: { $0.box.label == d.box.label && $0.box.iou(d.box) > iou }) { kept.append(d) }
        }
        return kept
    }
}
