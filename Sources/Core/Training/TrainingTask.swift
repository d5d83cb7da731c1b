/// What a model is trained to do, which fixes its targets and its evaluation: class labels and
/// accuracy, or boxes encoded on a detection grid and mAP@0.5.
public enum TrainingTask {
    case classification
    case detection(DetectionGrid)

    /// The evaluation metric's name, as `metrics.csv` and reports show it.
    public var metricName: String {
        if case .detection = self { return "mAP@0.5" }
        return "accuracy"
    }
}

/// A model as a study trains it: the module, its loss, and its task.
public struct TrainableModel {
    public let module: Module
    public let criterion: Criterion
    public let task: TrainingTask

    public init(module: Module, criterion: Criterion, task: TrainingTask) {
        self.module = module
        self.criterion = criterion
        self.task = task
    }
}
