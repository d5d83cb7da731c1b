import ArgumentParser
import CProcess
import DescentCore
import DescentStudies
import Foundation

/// `descent worker`: trains one run of a study for a parent `descent run --jobs N`, which writes
/// the run (a `WorkerJob`) to its standard input. Not for people: hidden from help.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Train one run for `descent run --jobs`.", shouldDisplay: false)

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        // A stop (the parent's signal, or the kernel's when the parent dies) is a request from
        // here on: the run, once started, checkpoints and stops at its first step boundary.
        StopRequest.install(quitOnSecond: false)
        // Never outlive the study that started this worker, even one killed before this line.
        let parent = ProcessInfo.processInfo.environment[Self.parentVariable].flatMap { Int32($0) } ?? getppid()
        guard descent_die_with_parent(parent) == 0 else { throw ExitCode(143) }
        do {
            let job: WorkerJob
            do {
                job = try JSONDecoder().decode(WorkerJob.self, from: FileHandle.standardInput.readDataToEndOfFile())
            } catch {
                throw ContextError("worker: standard input holds no valid run from `descent run --jobs`", error)
            }
            var options = StudyOptions()
            options.outDirectory = job.directory
            let summary = try Session(plugins: plugins, study: options).experiments.runner.execute(job: job)
            if summary.status == .interrupted, let signal = StopRequest.signal { throw ExitCode(StopRequest.exitStatus(signal)) }
        } catch let e as ExitCode {
            throw e
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
    }

    /// The environment variable that tells a worker its parent's process id.
    static let parentVariable = "DESCENT_WORKER_PARENT"

    /// Starts `descent worker` with the parent's plugin directories and hands it `job`.
    static func launch(_ job: Data, plugins: [String], environment: [String: String]) throws -> Process {
        guard let exe = Bundle.main.executableURL else { throw ValidationError("--jobs: cannot locate the descent executable") }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["worker"] + plugins
        p.environment = environment.merging([Self.parentVariable: String(getpid())]) { $1 }
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(job)
        try input.fileHandleForWriting.close()
        return p
    }
}
