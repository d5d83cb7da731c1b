import DescentPlugins
import DescentCore
import Foundation

/// Trains one run and writes its directory: config.json first, metrics.csv at every evaluation
/// and at the end, checkpoint.dtar every `checkpoint_every` steps, summary.json last. A NaN/Inf
/// loss marks the run diverged and stops it; an error (a failing Lua plugin, say) marks it
/// failed. Neither stops the study; a stop request does.
struct RunExecutor {
    let spec: RunSpec
    let setup: RunSetup
    let optimizer: Optimizer
    let schedule: Schedule?
    /// The resolved hyperparameters before training (defaults included), for config.json.
    let resolvedHyper: Hyperparameters
    let resolvedScheduleArgs: Hyperparameters?

    /// Builds everything the run needs and tries one forward pass, so a bad study stops before
    /// any run trains. Errors name the run.
    init(_ spec: RunSpec, registry: PluginRegistry) throws {
        self.spec = spec
        do {
            setup = try RunSetup(spec, registry: registry)
            optimizer = try Self.optimizer(spec, registry)
            if spec.evalAveraged, optimizer.weightAverage == nil {
                throw DescentError("eval_averaged", "\(optimizer.name) keeps no weight averages; use an optimizer plugin whose build returns optim.chain{optim.ema(decay), ...}")
            }
            schedule = try spec.schedule.map { try registry.makeSchedule($0, spec.scheduleArgs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
            _ = try schedule?.at(0)
            resolvedHyper = optimizer.hyper
            resolvedScheduleArgs = schedule?.hyper
            var rng = RandomGenerator(seed: 0)
            let (x, y, _) = try setup.batch(setup.train, [0], augment: Augmentation(), rng: &rng)
            setup.model.evaluate()
            defer { setup.model.train() }
            _ = try setup.criterion.forward(try setup.model.forward(x), y)
        } catch {
            throw ContextError("run '\(spec.name)'", error)
        }
    }

    /// The run's optimizer; with `groups`, one per group, matched on parameter names by Lua pattern.
    static func optimizer(_ spec: RunSpec, _ registry: PluginRegistry) throws -> Optimizer {
        func sorted(_ h: [String: HyperValue]) -> [(String, HyperValue)] { h.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        let hyper = sorted(spec.hyper)
        if let decay = spec.ema {
            var plain = spec
            plain.ema = nil
            return try OptimizerChain([try ParameterAverage(decay: decay, dynamic: spec.emaDynamic)], try optimizer(plain, registry))
        }
        guard !spec.groups.isEmpty else { return try registry.makeOptimizer(spec.optimizer, hyper) }
        let vm = registry.vm
        // A malformed pattern is an error now, before any run trains, not at the first step.
        for g in spec.groups { _ = try vm.matches("", pattern: g.match) }
        let groups = spec.groups.map { g in
            ParameterGroup(overrides: sorted(g.hyper)) { [weak vm] _, _, name in
                guard let vm, let name else { return false }
                return try vm.matches(name, pattern: g.match)
            }
        }
        return try GroupedOptimizer(groups: groups) { overrides in try registry.makeOptimizer(spec.optimizer, hyper + overrides) }
    }

    /// Trains the run into `dir`, continuing from `dir/checkpoint.dtar` when one of this
    /// configuration is there (the study runner removed any other). `onStep` (a study's Lua
    /// `on_step`) sees every step; returning false ends the run early (status ok), throwing marks
    /// it failed. A stop request (SIGINT, SIGTERM) ends the run between steps with a checkpoint,
    /// status `interrupted`.
    func execute(into dir: String, configuration: RunConfiguration,
                 onStep: ((StepRecord, Module, Optimizer) throws -> Bool)? = nil) throws -> RunSummary {
        try RunDirectory.locked(dir) { try train(into: dir, configuration: configuration, onStep: onStep) }
    }

    private func train(into dir: String, configuration: RunConfiguration,
                       onStep: ((StepRecord, Module, Optimizer) throws -> Bool)?) throws -> RunSummary {
        let trainer = Trainer(model: setup.model, criterion: setup.criterion, optimizer: optimizer, schedule: schedule)
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        let progress = Progress(run: spec.name, total: spec.steps)
        let (restored, resumed) = try restoreOrStart(dir, configuration, trainer, progress)
        var state = restored
        var load = LoadFollower(note: progress.finish)
        let recorder = try RunRecorder(dir: dir, config: config(configuration), configHash: configuration.hash, metricName: setup.metricName,
                                       group: configuration.settingHash, state: &state, resumed: resumed)
        var summary = RunSummary(name: spec.name, status: .ok, metricName: setup.metricName)
        summary.configHash = configuration.hash
        if let setting = spec.setting { (summary.setting, summary.seed) = (setting, spec.seed) }
        let start = Date(), before = state.seconds
        func elapsed() -> Double { before + Date().timeIntervalSince(start) }
        func checkpoint() throws {
            state.seconds = elapsed()
            state.threads = Parallel.threads
            (state.scheduledLR, state.scheduleYieldedAt) = (trainer.lastScheduledLR, trainer.scheduleYieldedAt)
            try recorder.checkpoint(&state, model: setup.model, optimizer: optimizer)
        }
        func evaluate() throws {
            try self.evaluate(&state)
            try recorder.writeMetrics(state.rows)
            try recorder.flushEvents(&state)
        }
        do {
            while state.step < spec.steps {
                let step = state.step
                // A stop requested before this point ends the run here; one requested during the
                // step lets it finish whole (its Lua plugins are not interrupted) and ends the run
                // at the next pass.
                guard let r = try StopRequest.deferring({ try trainStep(trainer, &state) }) else {
                    try checkpoint()
                    summary.status = .interrupted
                    break
                }
                state.record(step: step, loss: r.loss, lr: r.lr, time: elapsed(), threshold: spec.threshold)
                guard r.loss.isFinite else {
                    summary.status = .diverged
                    summary.error = "loss became \(r.loss) at step \(step)"
                    break
                }
                progress.update(step: step, loss: r.loss, lr: r.lr)
                if let note = load.check() { progress.finish(note) }
                if let onStep {
                    let hyper = optimizer.hyper
                    let goOn: Bool
                    do {
                        goOn = try onStep(r, setup.model, optimizer)
                    } catch where StopRequest.signal != nil {
                        // Stopped inside the callback: the step itself is complete.
                        try checkpoint()
                        summary.status = .interrupted
                        break
                    }
                    if noteEdits(since: hyper, step: step, &state, trainer: trainer, progress: progress) { try recorder.writeConfig(edits: state.edits) }
                    if !goOn { break }
                }
                let done = step + 1
                if spec.evalEvery > 0, done % spec.evalEvery == 0, done < spec.steps { try evaluate() }
                if spec.checkpointInterval > 0, done % spec.checkpointInterval == 0, done < spec.steps { try checkpoint() }
            }
            if summary.status == .ok, !state.rows.isEmpty {
                try evaluate()
                try checkpoint()
            }
        } catch {
            // A stop can still end Lua code between steps (a schedule run by evaluation, say);
            // the last checkpoint, not this state, is where a resumed run continues.
            summary.status = StopRequest.signal != nil ? .interrupted : .failed
            summary.error = summary.status == .interrupted ? nil : "\(error)"
        }
        summary.seconds = elapsed()
        try finish(&summary, &state, recorder, progress)
        return summary
    }

    /// The state of the checkpoint in `dir` when it is of this configuration (the trainer set to
    /// continue from it), else a fresh state after clearing an earlier attempt's files.
    private func restoreOrStart(_ dir: String, _ configuration: RunConfiguration, _ trainer: Trainer, _ progress: Progress) throws -> (RunState, resumed: Bool) {
        guard let state = try RunRecorder.restore(dir + "/" + RunCheckpoint.file, dir: dir, hash: configuration.hash, model: setup.model,
                                                  optimizer: optimizer, steps: spec.steps, samples: setup.train.count, progress: progress) else {
            RunRecorder.clearEarlierAttempt(dir)
            return (RunState(seed: spec.seed), false)
        }
        trainer.resume(step: state.step, scheduledLR: state.scheduledLR, scheduleYieldedAt: state.scheduleYieldedAt)
        progress.finish("resuming at step \(state.step) of \(spec.steps)")
        return (state, true)
    }

    /// Fills the summary from the state, writes it (summary.json, the event file's last records)
    /// and prints the run's last line.
    private func finish(_ summary: inout RunSummary, _ state: inout RunState, _ recorder: RunRecorder, _ progress: Progress) throws {
        summary.steps = state.step
        summary.finalLoss = state.finalLoss
        (summary.bestLoss, summary.bestMetric, summary.stepsToThreshold) = (state.bestLoss, state.bestMetric, state.stepsToThreshold)
        summary.finalPerClass = state.finalPerClass
        try recorder.finish(summary, &state)
        switch summary.status {
        case .ok:
            progress.finish(String(format: "done: final loss %.4g, best %@ %.4g, %.1f s", summary.finalLoss ?? .nan, setup.metricName, summary.bestMetric ?? .nan, summary.seconds))
        case .diverged: progress.finish("DIVERGED: \(summary.error ?? "")")
        case .failed: progress.finish("FAILED: \(summary.error ?? "")")
        case .interrupted, .incomplete: progress.finish("interrupted after step \(summary.steps); run the study again to resume")
        }
    }

    /// One training step on the next batch; nil when a stop was requested before it began.
    private func trainStep(_ trainer: Trainer, _ state: inout RunState) throws -> StepRecord? {
        guard StopRequest.signal == nil else { return nil }
        var augment = try RandomGenerator(words: state.augment)
        let indices = try state.nextIndices(batch: spec.batch, of: setup.train.count)
        let (x, y, _) = try setup.batch(setup.train, indices, augment: spec.augment, rng: &augment)
        state.augment = augment.words
        return try trainer.trainStep(input: x, target: y)
    }

    /// Scores the model on the validation set (with the weight averages when the run asks for
    /// them) into the last metric row and the running figures.
    private func evaluate(_ state: inout RunState) throws {
        let averages = spec.evalAveraged || spec.ema != nil ? optimizer.weightAverage : nil
        try averages?.swap(setup.model.parameters)
        defer { try? averages?.swap(setup.model.parameters) }
        let (metric, loss, perClass) = try setup.evaluate(batchSize: max(spec.batch, 32))
        state.finalPerClass = perClass.isEmpty ? nil : perClass
        state.rows[state.rows.count - 1].metric = metric
        state.rows[state.rows.count - 1].valLoss = loss
        state.bestMetric = max(state.bestMetric ?? -.infinity, metric)
    }

    /// Records hyperparameters someone changed by hand in `onStep` (the schedule's `lr` aside);
    /// true when there were any.
    private func noteEdits(since before: Hyperparameters, step: Int, _ state: inout RunState, trainer: Trainer, progress: Progress) -> Bool {
        let after = optimizer.hyper
        guard after != before else { return false }
        for key in after.keys where after[key] != before[key] {
            state.edits.append(LiveEdit(step: step + 1, key: key, from: before[key].map { "\($0)" } ?? "", to: after[key].map { "\($0)" } ?? ""))
            if key == "lr", schedule != nil, trainer.scheduleYieldedAt == nil {
                progress.finish("lr set by hand after step \(step + 1): the schedule no longer sets it")
            }
        }
        return true
    }

    /// config.json: the settings as resolved (defaults included; what the script gave is under
    /// `*_given`), versions, machine, plugins and the configuration hash.
    private func config(_ configuration: RunConfiguration) -> [String: Any] {
        var config = spec.json
        config["hyper_given"] = config["hyper"]
        config["hyper"] = RunFiles.plain(resolvedHyper)
        config["schedule_args_given"] = config["schedule_args"]
        config["schedule_args"] = resolvedScheduleArgs.map(RunFiles.plain) ?? [:]
        config["versions"] = ["descent": descentVersion, "lua": "5.4"]
        config["machine"] = ["cpu": Machine.cpuModel, "threads": Parallel.threads]
        config["plugins"] = configuration.plugins
        config["config_hash"] = configuration.hash
        // The size trained at: a file dataset's own (which `size` did not set), for results.csv.
        let shape = setup.train.imageShape
        if shape.count == 3 { config["size"] = shape[1] == shape[2] ? shape[1] as Any : "\(shape[1])x\(shape[2])" }
        config["setting_hash"] = configuration.settingHash
        return config
    }
}

/// The version written into every config.json.
public let descentVersion = "0.1.0"
