import ArgumentParser
import IngestCore

/// The `ID` argument of commands that act on one job; validated before anything opens.
struct JobArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The job's id.", valueName: "id"))
    var id: String

    func validate() throws {
        do {
            _ = try JobID(validating: id)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The validated id (`validate()` ran before any command body).
    var jobID: JobID {
        get throws { try JobID(validating: id) }
    }
}
