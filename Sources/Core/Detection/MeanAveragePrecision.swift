/// Mean average precision at an IoU threshold, PASCAL VOC style: per class, detections of all
/// images ranked by score; a detection is a true positive when it overlaps an unmatched ground
/// truth of its class by IoU >= `iou` (each ground truth matches once; later matches are false
/// positives); AP is the area under the precision envelope at every recall step ("all-point
/// interpolation", VOC 2010+). Classes without ground truth are left out of the mean.
public enum MeanAveragePrecision {
    public struct Result: Equatable {
        /// AP per class (nil: no ground truth of that class).
        public let perClass: [Double?]
        public let mean: Double
    }

    public static func evaluate(detections: [[Detection]], truth: [[Box]], classes: Int, iou: Double = 0.5) -> Result {
        var perClass: [Double?] = []
        for c in 0..<classes {
            let gts = truth.map { $0.filter { $0.label == c } }
            let total = gts.reduce(0) { $0 + $1.count }
            guard total > 0 else { perClass.append(nil); continue }
            var ranked: [(image: Int, det: Detection)] = []
            for (img, ds) in detections.enumerated() { for d in ds where d.box.label == c { ranked.append((img, d)) } }
            ranked.sort { $0.det.score > $1.det.score }
            var used = gts.map { [Bool](repeating: false, count: $0.count) }
            var tp: [Double] = [], fp: [Double] = []
            for (img, d) in ranked {
                var best = -1, bestIoU = 0.0
                for (k, g) in gts[img].enumerated() {
                    let o = d.box.iou(g)
                    if o > bestIoU { (best, bestIoU) = (k, o) }
                }
                let hit = best >= 0 && bestIoU >= iou && !used[img][best]
                if hit { used[img][best] = true }
                tp.append(hit ? 1 : 0)
                fp.append(hit ? 0 : 1)
            }
            perClass.append(averagePrecision(tp: tp, fp: fp, positives: total))
        }
        let known = perClass.compactMap { $0 }
        return Result(perClass: perClass, mean: known.isEmpty ? 0 : known.reduce(0, +) / Double(known.count))
    }

    /// VOC all-point AP from ranked true/false positive flags.
    static func averagePrecision(tp: [Double], fp: [Double], positives: Int) -> Double {
        var recall: [Double] = [0], precision: [Double] = [0]
        var ctp = 0.0, cfp = 0.0
        for (t, f) in zip(tp, fp) {
            ctp += t
            cfp += f
            recall.append(ctp / Double(positives))
            precision.append(ctp / (ctp + cfp))
        }
        recall.append(1)
        precision.append(0)
        for i in stride(from: precision.count - 2, through: 0, by: -1) { precision[i] = max(precision[i], precision[i + 1]) }
        var ap = 0.0
        for i in 1..<recall.count where recall[i] != recall[i - 1] { ap += (recall[i] - recall[i - 1]) * precision[i] }
        return ap
    }
}
