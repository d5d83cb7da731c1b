import XCTest
import DescentTestSupport
import DescentCore
import DescentHost
@testable import DescentPlugins
@testable import DescentStudies

/// Studies on image files: a COCO-format folder of PNGs (street scenes rendered to files) for
/// the detector, class folders of JPEGs (shapes) for the classifier, and their bad files.
final class ImageDatasetTests: PluginTestCase {
    func tmp() -> String {
        let d = NSTemporaryDirectory() + "descent-images-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Renders `count` street scenes of `side` pixels as PNGs with a COCO JSON; returns the
    /// JSON's path and the scenes' boxes.
    @discardableResult
    func coco(_ dir: String, count: Int, side: Int = 64, seed: UInt64) throws -> (json: String, boxes: [[Box]]) {
        let scenes = try StreetScenes(size: side, count: count, seed: seed)
        var images: [[String: Any]] = [], annotations: [[String: Any]] = [], all: [[Box]] = []
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        for i in 0..<count {
            let s = try scenes.sample(i)
            try ImageFile.write(s.image, channels: 3, width: side, height: side, to: "\(dir)/images/scene\(i).png")
            images.append(["id": i + 1, "file_name": "scene\(i).png", "width": side, "height": side])
            guard case .boxes(let boxes) = s.annotation else { continue }
            all.append(boxes)
            for b in boxes {
                annotations.append(["id": annotations.count + 1, "image_id": i + 1, "category_id": b.label == 0 ? 3 : 1,
                                    "bbox": [b.x1, b.y1, b.width, b.height], "iscrowd": 0])
            }
        }
        let json = ["images": images, "annotations": annotations,
                    "categories": [["id": 1, "name": "person"], ["id": 3, "name": "car"], ["id": 7, "name": "truck"]]] as [String: Any]
        let path = dir + "/annotations.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return (path, all)
    }

    func study(_ script: String, out: String) throws -> [RunSummary] {
        let (vm, registry) = boot()
        var options = StudyOptions()
        options.outDirectory = out
        let api = try ExperimentAPI(registry: registry, options: options)
        try vm.run(script, name: "=study")
        return try api.finish().flatMap { try Report.write(experimentDirectory: $0).summaries }
    }

    func testCOCOBoxesAreScaledWithTheImage() throws {
        let dir = tmp()
        let (json, boxes) = try coco(dir, count: 6, seed: 3)
        let set = try ImageDatasets.coco(annotations: json, images: dir + "/images", side: 32, classes: ["car", "person"])
        XCTAssertEqual(set.classNames, ["car", "person"])
        XCTAssertEqual(set.imageShape, [3, 32, 32])
        for (i, expected) in boxes.enumerated() {
            guard case .boxes(let got) = try set.sample(i).annotation else { return XCTFail("boxes expected") }
            XCTAssertEqual(got.count, expected.count)
            for (g, e) in zip(got, expected) {
                XCTAssertEqual(g.x1, e.x1 / 2, accuracy: 1e-9)
                XCTAssertEqual(g.y2, e.y2 / 2, accuracy: 1e-9)
                XCTAssertEqual(g.label, e.label, "car stays 0, person 1")
            }
        }
        // The pixels survive PNG: 8-bit rounding of the rendered scene, then the resize.
        let same = try ImageDatasets.coco(annotations: json, images: dir + "/images", side: 64, classes: ["car", "person"])
        let original = try StreetScenes(size: 64, count: 6, seed: 3).sample(0).image
        let loaded = try same.sample(0).image
        XCTAssertLessThanOrEqual(zip(original, loaded).map { abs(min(1, max(0, $0)) - $1) }.max()!, 0.5 / 255 + 1e-6)
    }

    func testDetectorTrainsOnACOCOFolderOfPNGs() throws {
        let dir = tmp(), out = tmp()
        try coco(dir + "/train", count: 24, seed: 1)
        try coco(dir + "/val", count: 8, seed: 2)
        let summaries = try study("""
            experiment { name = "real", model = "detector", model_args = { width = 4, depth = 0 }, dataset = "coco", size = 32,
              dataset_args = { annotations = "\(dir)/train/annotations.json", images = "\(dir)/train/images",
                               val_annotations = "\(dir)/val/annotations.json", val_images = "\(dir)/val/images", classes = { "car", "person" } },
              steps = 8, batch = 4, eval_every = 4, optimizer = "adam" }
            run { name = "adam" }
            """, out: out)
        XCTAssertEqual(summaries.map(\.status), [.ok])
        XCTAssertEqual(summaries[0].metricName, "mAP@0.5")
        let rows = try RunFiles.readMetrics(out + "/real/adam/metrics.csv").rows
        XCTAssertLessThan(rows.last!.loss, rows.first!.loss, "the detector learns something in 8 steps")
    }

    func testClassifierTrainsOnFoldersOfJPEGs() throws {
        let dir = tmp(), out = tmp()
        for (split, count, seed) in [("train", 40, UInt64(1)), ("val", 10, UInt64(2))] {
            let shapes = try Shapes(size: 24, count: count, seed: seed)
            for i in 0..<count {
                let s = try shapes.sample(i)
                guard case .label(let l) = s.annotation else { continue }
                let folder = "\(dir)/\(split)/\(shapes.classNames[l])"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let gray = Array(s.image.prefix(24 * 24))
                try ImageFile.write(gray, channels: 1, width: 24, height: 24, to: "\(folder)/\(i).jpg")
            }
        }
        let summaries = try study("""
            experiment { name = "folders", model = "cnn", dataset = "image_folder", size = 16,
              dataset_args = { train = "\(dir)/train", val = "\(dir)/val" }, steps = 6, batch = 8, eval_every = 3, optimizer = "adam" }
            run { name = "adam" }
            """, out: out)
        XCTAssertEqual(summaries.map(\.status), [.ok])
        XCTAssertEqual(summaries[0].metricName, "accuracy")
        let config = try String(contentsOfFile: out + "/folders/adam/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("image_folder"), config)
    }

    /// Without a validation set, every k-th image of each class is held out (the same split every time).
    func testValidationHeldOutWhenNoneIsGiven() throws {
        let dir = tmp(), out = tmp()
        try coco(dir, count: 10, seed: 4)
        let (train, val) = try ImageDatasets.split(try ImageDatasets.coco(annotations: dir + "/annotations.json", images: dir + "/images", side: 32), fraction: 0.2)
        XCTAssertEqual([train.count, val.count], [8, 2])
        let folders = tmp()
        for (cls, n) in [("cars", 6), ("people", 4)] {
            try FileManager.default.createDirectory(atPath: "\(folders)/\(cls)", withIntermediateDirectories: true)
            for i in 0..<n { try ImageFile.write([Float](repeating: Float(i) / 10, count: 3 * 8 * 8), channels: 3, width: 8, height: 8, to: "\(folders)/\(cls)/\(i).png") }
        }
        let (t, v) = try ImageDatasets.split(try ImageDatasets.imageFolder(folders, side: 8), fraction: 0.5)
        XCTAssertEqual(v.samples.map { if case .label(let l) = $0.annotation { return l } else { return -1 } }, [0, 0, 0, 1, 1])
        XCTAssertEqual(t.count, 5)
        XCTAssertThrowsError(try ImageDatasets.split(try ImageDatasets.imageFolder(folders, side: 8), fraction: 0.01)) {
            XCTAssertTrue("\($0)".contains("too few to hold out a validation set"), "\($0)")
        }
        let summaries = try study("""
            experiment { name = "one_folder", model = "cnn", dataset = "image_folder", size = 8,
              dataset_args = { train = "\(folders)", val_fraction = 0.25 }, steps = 3, batch = 4, eval_every = 0 }
            run { name = "adam" }
            """, out: out)
        XCTAssertEqual(summaries.map(\.status), [.ok])
    }

    func testBadImageFilesAreErrorsNamingTheFile() throws {
        let dir = tmp()
        let (json, _) = try coco(dir, count: 2, seed: 5)
        let images = dir + "/images"
        var original = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        func variant(_ change: (inout [String: Any]) -> Void) throws -> String {
            var j = original
            change(&j)
            let p = dir + "/variant-\(UUID().uuidString).json"
            try JSONSerialization.data(withJSONObject: j).write(to: URL(fileURLWithPath: p))
            return p
        }
        var imagesList = original["images"] as! [[String: Any]]
        let cases: [(String, String, String)] = [
            (try variant { $0["images"] = [["id": 1, "file_name": "../escape.png", "width": 64, "height": 64]] }, "must stay inside the image folder", "json"),
            (try variant { $0["images"] = [["id": 1, "file_name": "missing.png", "width": 64, "height": 64]]; $0["annotations"] = [] }, "missing.png: no such file", "image"),
            (try variant { $0["images"] = [["id": 1, "file_name": "scene0.png", "width": 99, "height": 64]]; $0["annotations"] = [] }, "is 64x64 pixels", "image"),
            (try variant { $0["annotations"] = [["image_id": 1, "category_id": 3, "bbox": [60, 0, 10, 10]]] }, "lies outside its 64x64 image", "json"),
            (try variant { $0["annotations"] = [["image_id": 42, "category_id": 3, "bbox": [0, 0, 1, 1]]] }, "image_id 42 is not in 'images'", "json"),
            (try variant { $0["annotations"] = [["image_id": 1, "category_id": 3, "bbox": [0, 0, 1]]] }, "'bbox' must be [x, y, width, height]", "json"),
            (try variant { $0["images"] = "x" }, "'images' must be a list of objects", "json"),
            (try variant { imagesList[1]["id"] = 1; $0["images"] = imagesList }, "id 1 appears twice", "json"),
        ]
        for (path, reason, kind) in cases {
            XCTAssertThrowsError(try ImageDatasets.coco(annotations: path, images: images, side: 32)) { e in
                XCTAssertTrue("\(e)".contains(reason), "\(e)")
                XCTAssertTrue("\(e)".hasPrefix(kind == "json" ? path : images), "\(e)")
            }
        }
        XCTAssertThrowsError(try ImageDatasets.coco(annotations: json, images: images, side: 32, classes: ["bus"])) {
            XCTAssertTrue("\($0)".contains("class 'bus' is not a category here (categories: person, car, truck)"), "\($0)")
        }
        // A file in the folder that is a link to an image outside it.
        let outside = tmp()
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: images + "/scene0.png", toPath: outside + "/secret.png")
        try FileManager.default.createSymbolicLink(atPath: images + "/link.png", withDestinationPath: outside + "/secret.png")
        let linked = try variant { $0["images"] = [["id": 1, "file_name": "link.png", "width": 64, "height": 64]]; $0["annotations"] = [] }
        XCTAssertThrowsError(try ImageDatasets.coco(annotations: linked, images: images, side: 32)) {
            XCTAssertTrue("\($0)".hasPrefix(images + "/link.png: leads outside"), "\($0)")
        }
        // A truncated PNG and a text file posing as one.
        let png = try Data(contentsOf: URL(fileURLWithPath: images + "/scene0.png"))
        try png.prefix(60).write(to: URL(fileURLWithPath: images + "/scene0.png"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: images + "/scene1.png"))
        for i in 0..<2 {
            XCTAssertThrowsError(try ImageFile.load(images + "/scene\(i).png", side: 32)) {
                XCTAssertTrue("\($0)".hasPrefix(images + "/scene\(i).png: "), "\($0)")
            }
        }
        original["annotations"] = []
        // Folders: empty class folder, a validation class the training set lacks, not a folder.
        let root = tmp()
        try FileManager.default.createDirectory(atPath: root + "/empty_class", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageDatasets.imageFolder(root, side: 16)) { XCTAssertTrue("\($0)".contains("empty_class: no images"), "\($0)") }
        XCTAssertThrowsError(try ImageDatasets.imageFolder(root, side: 16, classes: ["cat"])) {
            XCTAssertTrue("\($0)".contains("class 'empty_class' is not among the training classes"), "\($0)")
        }
        XCTAssertThrowsError(try ImageDatasets.imageFolder(json, side: 16)) { XCTAssertTrue("\($0)".contains("is a file, not a folder"), "\($0)") }
    }
}
