import DescentCore
import DescentHost

/// The native optimizers, schedules, models and datasets, registered as entries that build
/// themselves, as Lua plugin files do (model and dataset arguments are `model_args` /
/// `dataset_args` of a study; the registry checks their names against the defaults and fills in
/// the rest).
enum NativeEntries {
    static var all: [Plugin] { optimizers + schedules + models + datasets }

    static let optimizers: [Plugin] = NativeOptimizers.all.map { e in
        var p = Plugin(kind: .optimizer, name: e.name, origin: .native, doc: e.doc, defaults: (try? e.make([]))?.hyper.pairs ?? [],
                       table: nil, builder: .optimizer(e.make))
        p.equations = e.equations
        return p
    }

    static let schedules: [Plugin] = NativeSchedules.all.map { e in
        Plugin(kind: .schedule, name: e.name, origin: .native, doc: e.doc, defaults: (try? e.make([]))?.hyper.pairs ?? [],
               table: nil, builder: .schedule(e.make))
    }

    static let models: [Plugin] = [
        Plugin(kind: .model, name: "cnn", origin: .native,
               doc: "Small classifier: depth blocks of Conv3x3-BN-ReLU-MaxPool doubling width, global average pool, linear",
               defaults: [("depth", .number(3)), ("width", .number(16))], table: nil, builder: .model { r in
            guard !r.detection else { throw DescentError("model 'cnn'", "needs a classification dataset; the dataset gives boxes") }
            let module = try ModelZoo.cnn(inputShape: r.input, classes: r.classes, width: try r.integer("width", "cnn"),
                                          depth: try r.integer("depth", "cnn"), seed: r.seed)
            return TrainableModel(module: module, criterion: CrossEntropy(), task: .classification)
        }),
        Plugin(kind: .model, name: "detector", origin: .native,
               doc: "Small single-shot detector: stride-2 Conv-BN-SiLU stages to a size/8 grid, focal loss + smooth L1, NMS, mAP@0.5",
               defaults: [("depth", .number(1)), ("width", .number(16))], table: nil, builder: .model { r in
            guard r.detection else { throw DescentError("model 'detector'", "needs a detection dataset (boxes); the dataset gives class labels") }
            guard r.input[1] == r.input[2] else { throw DescentError("model 'detector'", "square images expected, got \(r.input[1])x\(r.input[2])") }
            let grid = try DetectionGrid(classes: r.classes, imageSize: r.input[1])
            let module = try ModelZoo.detector(grid: grid, channels: r.input[0], width: try r.integer("width", "detector"),
                                               depth: try r.integer("depth", "detector", min: 0), seed: r.seed)
            return TrainableModel(module: module, criterion: try DetectionLoss(grid: grid), task: .detection(grid))
        }),
    ]

    static let datasets: [Plugin] = [
        synthetic("street_scenes", "Synthetic street scenes: cars and pedestrians with boxes (detection), 0-6 objects, size >= 32",
                  train: 1024, val: 128) { try StreetScenes(size: $0, count: $1, seed: $2) },
        synthetic("shapes", "Synthetic shapes (circle, square, triangle, cross, ring) with noise (classification)",
                  train: 2048, val: 256) { try Shapes(size: $0, count: $1, seed: $2) },
        files("idx", "MNIST-format IDX files, plain or gzip (.gz): images, labels, val_images, val_labels (paths)", ["images", "labels", "val_images", "val_labels"]) { p, _ in
            (try FileDatasets.idx(images: p("images"), labels: p("labels")), try FileDatasets.idx(images: p("val_images"), labels: p("val_labels")))
        },
        mnistLayout("fashion_mnist", "Fashion-MNIST (28x28 grey, 10 classes; the 10k test images validate) from Debian's dataset-fashion-mnist, or path: a directory of its four IDX files (.gz or not); train, val: use the first N images (0: all)",
                    path: "/usr/share/datasets/fashion-mnist", classes: FileDatasets.fashionClassNames),
        mnistLayout("mnist", "MNIST from path: a directory of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or not); the 10k test images validate; train, val: use the first N images (0: all)",
                    path: "", classes: nil),
        Plugin(kind: .dataset, name: "cifar10", origin: .native, doc: "CIFAR-10 binary batches: files, val_files (a path or a list of paths)",
               defaults: [("files", .string("")), ("val_files", .string(""))], table: nil, builder: .dataset { r in
            func files(_ k: String) throws -> [String] {
                switch r.args[k] {
                case .string(let s)? where !s.isEmpty: return [s]
                case .array(let l)? where !l.isEmpty:
                    return try l.map { v in
                        guard case .string(let s) = v else { throw DescentError("dataset 'cifar10'", "'\(k)' must list paths (strings), got \(v)") }
                        return s
                    }
                default: throw DescentError("dataset 'cifar10'", "'\(k)' (a path or a non-empty list of paths) is required")
                }
            }
            return (try FileDatasets.cifar10(try files("files")), try FileDatasets.cifar10(try files("val_files")))
        }),
        files("npy", "Images [N,H,W], [N,C,H,W] or [N,H,W,C] (layout: auto, nchw or nhwc; uint8 scaled to [0, 1]) and labels [N] as .npy pairs: images, labels, val_images, val_labels",
              ["images", "labels", "val_images", "val_labels"], options: [("layout", .string("auto"))]) { p, o in
            (try FileDatasets.npy(images: p("images"), labels: p("labels"), layout: try o("layout")),
             try FileDatasets.npy(images: p("val_images"), labels: p("val_labels"), layout: try o("layout")))
        },
        files("npz", "An .npz archive (np.savez; Keras' mnist.npz): path; the arrays images, labels, val_images, val_labels (default x_train, y_train, x_test, y_test); layout as npy",
              ["path"], options: [("images", .string("x_train")), ("labels", .string("y_train")), ("val_images", .string("x_test")),
                                  ("val_labels", .string("y_test")), ("layout", .string("auto"))]) { p, o in
            try FileDatasets.npz(p("path"), keys: try ["images", "labels", "val_images", "val_labels"].map(o), layout: try o("layout"))
        },
        Plugin(kind: .dataset, name: "image_folder", origin: .native,
               doc: "Classification from image files (JPEG, PNG, ...): train (and val) folders with one sub-folder per class, resized to size x size; without val, val_fraction of each class is held out",
               defaults: [("train", .string("")), ("val", .string("")), ("val_fraction", .number(0.2))], table: nil, builder: .dataset { r in
            let train = try ImageDatasets.imageFolder(try path(r, "image_folder", "train"), side: r.size)
            if case .string(let v)? = r.args["val"], !v.isEmpty {
                return (train, try ImageDatasets.imageFolder(v, side: r.size, classes: train.classNames))
            }
            return try ImageDatasets.split(train, fraction: try fraction(r, "image_folder"))
        }),
        Plugin(kind: .dataset, name: "coco", origin: .native,
               doc: "Detection from a COCO-format JSON and its image folder: annotations, images (and val_annotations, val_images; without them val_fraction of the images is held out); classes (optional: category names to keep, in order)",
               defaults: [("annotations", .string("")), ("images", .string("")), ("val_annotations", .string("")), ("val_images", .string("")),
                          ("classes", .string("")), ("val_fraction", .number(0.2))],
               table: nil, builder: .dataset { r in
            var classes: [String]? = nil
            switch r.args["classes"] {
            case nil, .string("")?: break
            case .string(let s)?: classes = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case .array(let l)?:
                classes = try l.map { v in
                    guard case .string(let s) = v else { throw DescentError("dataset 'coco'", "'classes' must list category names, got \(v)") }
                    return s
                }
            case let v?: throw DescentError("dataset 'coco'", "'classes' must be a list of category names, got \(v)")
            }
            let train = try ImageDatasets.coco(annotations: try path(r, "coco", "annotations"), images: try path(r, "coco", "images"), side: r.size, classes: classes)
            guard case .string(let va)? = r.args["val_annotations"], !va.isEmpty else {
                return try ImageDatasets.split(train, fraction: try fraction(r, "coco"))
            }
            return (train, try ImageDatasets.coco(annotations: va, images: try path(r, "coco", "val_images"), side: r.size, classes: train.classNames))
        }),
    ]

    /// `val_fraction` of dataset `name`: the share held out for validation, in (0, 1).
    private static func fraction(_ r: DatasetRequest, _ name: String) throws -> Double {
        guard let f = r.args["val_fraction"]?.number, f > 0, f < 1 else {
            throw DescentError("dataset '\(name)'", "val_fraction must be a number in (0, 1), got \(r.args["val_fraction"].map { "\($0)" } ?? "nothing")")
        }
        return f
    }

    /// The non-empty path argument `key` of dataset `name`.
    private static func path(_ r: DatasetRequest, _ name: String, _ key: String) throws -> String {
        guard case .string(let p)? = r.args[key], !p.isEmpty else { throw DescentError("dataset '\(name)'", "'\(key)' (a path) is required") }
        return p
    }

    /// A generated set: `train` and `val` images from disjoint seeds, each rendered once per run
    /// (`CachedDataset`).
    private static func synthetic(_ name: String, _ doc: String, train: Int, val: Int,
                                  _ make: @escaping (_ size: Int, _ count: Int, _ seed: UInt64) throws -> Dataset) -> Plugin {
        var plugin = Plugin(kind: .dataset, name: name, origin: .native, doc: doc, defaults: [("train", .number(Double(train))), ("val", .number(Double(val)))],
               table: nil, builder: .dataset { r in
            func count(_ k: String) throws -> Int {
                guard let n = r.args[k]?.number, n >= 1, n <= 1e7, n == n.rounded() else {
                    throw DescentError("dataset '\(name)'", "\(k) must be an integer from 1 to 10000000, got \(r.args[k].map { "\($0)" } ?? "nothing")")
                }
                return Int(n)
            }
            return (CachedDataset(try make(r.size, try count("train"), r.seed)),
                    CachedDataset(try make(r.size, try count("val"), r.seed &+ 1_000_003)))
        })
        plugin.quickArgs = ["train": .integer(64), "val": .integer(8)]
        return plugin
    }

    /// A set read from files named by `keys` (all required), with text `options` (defaults given).
    private static func files(_ name: String, _ doc: String, _ keys: [String], options: [(String, HyperValue)] = [],
                              _ load: @escaping (_ path: (String) throws -> String, _ option: (String) throws -> String) throws -> (Dataset, Dataset)) -> Plugin {
        Plugin(kind: .dataset, name: name, origin: .native, doc: doc, defaults: keys.map { ($0, .string("")) } + options, table: nil, builder: .dataset { r in
            try load({ k in
                guard case .string(let p)? = r.args[k], !p.isEmpty else { throw DescentError("dataset '\(name)'", "'\(k)' (a file path) is required") }
                return p
            }, { k in
                guard case .string(let v)? = r.args[k], !v.isEmpty else { throw DescentError("dataset '\(name)'", "'\(k)' must be a non-empty string, got \(r.args[k].map { "\($0)" } ?? "nothing")") }
                return v
            })
        })
    }

    /// A set in MNIST's directory layout (`FileDatasets.mnistLayout`): `path` (default `path`),
    /// and `train`/`val` counts to use the first images only (`--quick` uses few).
    private static func mnistLayout(_ name: String, _ doc: String, path: String, classes: [String]?) -> Plugin {
        var plugin = Plugin(kind: .dataset, name: name, origin: .native, doc: doc,
                            defaults: [("path", .string(path)), ("train", .number(0)), ("val", .number(0))], table: nil, builder: .dataset { r in
            func count(_ k: String) throws -> Int? {
                guard let n = r.args[k]?.number?.exactInteger(in: 0...10_000_000) else {
                    throw DescentError("dataset '\(name)'", "\(k) must be an integer from 0 (all) to 10000000, got \(r.args[k].map { "\($0)" } ?? "nothing")")
                }
                return n == 0 ? nil : n
            }
            guard case .string(let dir)? = r.args["path"], !dir.isEmpty else {
                throw DescentError("dataset '\(name)'", "'path' (the directory holding train-images-idx3-ubyte[.gz] and the other three files) is required")
            }
            let (train, val) = try FileDatasets.mnistLayout(dir, name: name, classNames: classes, train: try count("train"), val: try count("val"))
            return (train, val)
        })
        plugin.quickArgs = ["train": .integer(256), "val": .integer(64)]
        return plugin
    }
}
