import Foundation

/// Datasets of real images, decoded once per process and size (`ImageFile`) and kept in memory:
///
/// - `imageFolder`: one sub-folder per class (`cars/`, `pedestrians/`), classes in name order;
/// - `coco`: a COCO-format detection JSON (`images`, `annotations` with `bbox = [x, y, w, h]`
///   in pixels, `categories`) and the folder its `file_name`s are in; boxes are scaled with the
///   image to the square side, crowd annotations are left out.
///
/// Every problem names the file: a missing or corrupt image, a JSON field of the wrong kind,
/// a box outside its image, a `file_name` that leaves the folder.
public enum ImageDatasets {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "gif", "tga", "ppm", "pgm", "psd", "hdr"]

    private static var cache: [String: ArrayDataset] = [:]
    private static let lock = NSLock()

    /// The dataset `key` names, made by `make` the first time in this process.
    static func cached(_ key: String, _ make: () throws -> ArrayDataset) throws -> ArrayDataset {
        lock.lock()
        defer { lock.unlock() }
        if let d = cache[key] { return d }
        let d = try make()
        cache[key] = d
        return d
    }

    /// `root/relative`, checked to stay inside `root` once symbolic links are followed: a link in
    /// the folder to a file elsewhere is refused like a `..` in the name.
    static func inside(_ root: String, _ relative: String) throws -> String {
        let path = root + "/" + relative
        guard let real = realpath(path, nil) else { throw DescentError.file(path, "no such file (\(String(cString: strerror(errno))))") }
        defer { free(real) }
        guard let realRoot = realpath(root, nil) else { throw DescentError.file(root, "no such folder") }
        defer { free(realRoot) }
        let (file, folder) = (String(cString: real), String(cString: realRoot))
        guard file.hasPrefix(folder == "/" ? "/" : folder + "/") else {
            throw DescentError.file(path, "leads outside \(root) (to \(file)); images must stay inside their folder")
        }
        return path
    }

    static func entries(_ dir: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else { throw DescentError.file(dir, "no such folder") }
        guard isDir.boolValue else { throw DescentError.file(dir, "is a file, not a folder") }
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Images in class sub-folders of `root`; `classes` fixes the class list (a validation
    /// folder must use the training folder's), else the sub-folders name them.
    public static func imageFolder(_ root: String, side: Int, classes: [String]? = nil) throws -> ArrayDataset {
        try cached("folder\u{0}\(root)\u{0}\(side)\u{0}\(classes ?? [])") {
            let folders = try entries(root).filter { isDirectory(root + "/" + $0) }
            guard !folders.isEmpty else { throw DescentError.file(root, "no class sub-folders (one folder per class, holding its images)") }
            let names = classes ?? folders
            var samples: [Sample] = []
            for folder in folders {
                guard let label = names.firstIndex(of: folder) else {
                    throw DescentError.file(root + "/" + folder, "class '\(folder)' is not among the training classes \(names)")
                }
                let files = try entries(root + "/" + folder).filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                guard !files.isEmpty else { throw DescentError.file(root + "/" + folder, "no images (.jpg, .png, ...) in this class folder") }
                for f in files {
                    samples.append(Sample(image: try ImageFile.load(try inside(root, folder + "/" + f), side: side).pixels, annotation: .label(label)))
                }
            }
            return ArrayDataset(name: "image_folder", imageShape: [3, side, side], classNames: names, samples: samples)
        }
    }

    /// Training and validation sets from one set: every k-th sample of each class (of all
    /// samples for detection) is held out, k = round(1 / fraction), so the split is the same
    /// on every run and every machine.
    public static func split(_ set: ArrayDataset, fraction: Double) throws -> (train: ArrayDataset, val: ArrayDataset) {
        let every = Swift.max(2, Int((1 / fraction).rounded()))
        var seen: [Int: Int] = [:], train: [Sample] = [], val: [Sample] = []
        for s in set.samples {
            let key: Int
            if case .label(let l) = s.annotation { key = l } else { key = -1 }
            let k = seen[key, default: 0]
            seen[key] = k + 1
            if k % every == every - 1 { val.append(s) } else { train.append(s) }
        }
        guard !val.isEmpty, !train.isEmpty else {
            throw DescentError("dataset '\(set.name)'", "\(set.samples.count) images are too few to hold out a validation set; give one")
        }
        return (ArrayDataset(name: set.name, imageShape: set.imageShape, classNames: set.classNames, samples: train),
                ArrayDataset(name: set.name, imageShape: set.imageShape, classNames: set.classNames, samples: val))
    }

    /// A COCO-format detection set. `classes` picks categories by name and fixes their order
    /// (others are left out); by default every category, in id order.
    public static func coco(annotations path: String, images: String, side: Int, classes: [String]? = nil) throws -> ArrayDataset {
        try cached("coco\u{0}\(path)\u{0}\(images)\u{0}\(side)\u{0}\(classes ?? [])") {
            func fail(_ why: String) -> DescentError { .file(path, why) }
            let data = try AtomicFile.read(path)
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("not a JSON object (a COCO annotation file has images, annotations and categories)")
            }
            func list(_ key: String) throws -> [[String: Any]] {
                guard let l = root[key] as? [[String: Any]] else { throw fail("'\(key)' must be a list of objects") }
                return l
            }
            func int(_ o: [String: Any], _ key: String, _ what: String) throws -> Int {
                guard let n = o[key] as? NSNumber, let i = n.doubleValue.exactInteger(in: -(1 << 53)...(1 << 53)) else {
                    throw fail("\(what): '\(key)' must be an integer, got \(o[key].map { "\($0)" } ?? "nothing")")
                }
                return i
            }
            var categoryName: [Int: String] = [:]
            for (k, c) in try list("categories").enumerated() {
                guard let name = c["name"] as? String else { throw fail("categories[\(k)]: 'name' must be a string") }
                categoryName[try int(c, "id", "categories[\(k)]")] = name
            }
            let names = classes ?? categoryName.keys.sorted().map { categoryName[$0]! }
            for n in names where !categoryName.values.contains(n) {
                throw fail("class '\(n)' is not a category here (categories: \(categoryName.keys.sorted().map { categoryName[$0]! }.joined(separator: ", ")))")
            }
            var imageInfo: [Int: (file: String, width: Int, height: Int)] = [:], order: [Int] = []
            for (k, im) in try list("images").enumerated() {
                guard let file = im["file_name"] as? String, !file.isEmpty else { throw fail("images[\(k)]: 'file_name' must be a string") }
                guard !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                    throw fail("images[\(k)]: file_name '\(file)' must stay inside the image folder")
                }
                let id = try int(im, "id", "images[\(k)]")
                let (w, h) = (try int(im, "width", "images[\(k)]"), try int(im, "height", "images[\(k)]"))
                guard w >= 1, h >= 1 else { throw fail("images[\(k)]: width and height must be positive, got \(w)x\(h)") }
                guard imageInfo.updateValue((file, w, h), forKey: id) == nil else { throw fail("images[\(k)]: id \(id) appears twice") }
                order.append(id)
            }
            var boxes: [Int: [Box]] = [:]
            for (k, a) in try list("annotations").enumerated() {
                let what = "annotations[\(k)]"
                if (a["iscrowd"] as? NSNumber)?.intValue == 1 { continue }
                let imageID = try int(a, "image_id", what), category = try int(a, "category_id", what)
                guard let info = imageInfo[imageID] else { throw fail("\(what): image_id \(imageID) is not in 'images'") }
                guard let name = categoryName[category] else { throw fail("\(what): category_id \(category) is not in 'categories'") }
                guard let label = names.firstIndex(of: name) else { continue }
                guard let b = a["bbox"] as? [NSNumber], b.count == 4, b.allSatisfy({ $0.doubleValue.isFinite }) else {
                    throw fail("\(what): 'bbox' must be [x, y, width, height] in pixels")
                }
                let (x, y, w, h) = (b[0].doubleValue, b[1].doubleValue, b[2].doubleValue, b[3].doubleValue)
                guard w >= 0, h >= 0, x >= -1, y >= -1, x + w <= Double(info.width) + 1, y + h <= Double(info.height) + 1 else {
                    throw fail("\(what): bbox \([x, y, w, h]) lies outside its \(info.width)x\(info.height) image")
                }
                let sx = Double(side) / Double(info.width), sy = Double(side) / Double(info.height)
                let box = Box(x1: max(0, x) * sx, y1: max(0, y) * sy, x2: min(Double(info.width), x + w) * sx, y2: min(Double(info.height), y + h) * sy, label: label)
                if box.area > 0 { boxes[imageID, default: []].append(box) }
            }
            var samples: [Sample] = []
            for id in order {
                let info = imageInfo[id]!
                let image = try ImageFile.load(try inside(images, info.file), side: side)
                guard image.width == info.width, image.height == info.height else {
                    throw DescentError.file(images + "/" + info.file, "is \(image.width)x\(image.height) pixels; \(path) says \(info.width)x\(info.height)")
                }
                samples.append(Sample(image: image.pixels, annotation: .boxes(boxes[id] ?? [])))
            }
            guard !samples.isEmpty else { throw fail("no images") }
            return ArrayDataset(name: "coco", imageShape: [3, side, side], classNames: names, samples: samples)
        }
    }
}
