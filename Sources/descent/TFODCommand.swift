import ArgumentParser
import DescentStudies
import Foundation

/// `descent tfod import pipeline.config`: a TF Object Detection API training configuration as
/// a study run, printed as Lua.
struct TFODCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tfod", abstract: "Bridges from the TF Object Detection API.", subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Print a pipeline.config's train_config as a study:run{...} (optimizer preset, hyperparameters, schedule, batch, steps).",
            discussion: "The same text trains differently under the TF1 and TF2 APIs (momentum's form; RMSProp's decay is rho in TF1, Keras 2's lr decay in TF2 up to 2.15, ignored by Keras 3 from TF 2.16): --tf1, --tf2 (the default) or --keras3. In a script: study:run(tfod.import(\"pipeline.config\", {tf = 2})).")

        @Argument(help: "The pipeline.config (protobuf text format).")
        var config: String

        @Flag(help: "Read it as the TF1 Object Detection API builds it (tf.train optimizers).")
        var tf1 = false

        @Flag(help: "Read it as the TF2 Object Detection API builds it with Keras 2 (TF <= 2.15; the default).")
        var tf2 = false

        @Flag(help: "Read it as the TF2 Object Detection API builds it with Keras 3 (TF >= 2.16: RMSprop ignores the proto's decay).")
        var keras3 = false

        @Option(help: "The run's name.")
        var name = "pipeline"

        @Option(help: "Steps to train, in place of the file's num_steps (needed when it is 0 or absent).")
        var steps: Int?

        func validate() throws {
            if [tf1, tf2, keras3].filter({ $0 }).count > 1 { throw ValidationError("--tf1, --tf2 and --keras3 exclude each other") }
        }

        func run() throws {
            let version: PipelineImport.Version = tf1 ? .tf1 : keras3 ? .keras3 : .tf2
            do {
                print(PipelineImport.lua(try PipelineImport.load(config, version: version, steps: steps), name: name, source: config, version: version), terminator: "")
            } catch {
                warn("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
