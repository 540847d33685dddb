import ArgumentParser
import IngestCore
import IngestPipeline
import IngestStore
import LMDBKit

/// The exit codes of DESIGN.md (sysexits), and how errors map onto them.
enum ExitStatus {
    /// A job failed.
    static let jobFailed = ExitCode(1)
    /// Bad command-line usage (also argument-parser's own validation failures).
    static let usage = ExitCode(64)
    /// Bad data: a damaged or foreign store, an illegal transition, an id already taken.
    static let badData = ExitCode(65)
    /// The source, the store or the job named does not exist.
    static let missing = ExitCode(66)
    /// An internal error: a bug.
    static let internalError = ExitCode(70)
    /// The store cannot be created or written at that path.
    static let cannotCreate = ExitCode(73)
    /// Reading or writing failed, or the disk is full.
    static let ioError = ExitCode(74)
    /// Work remains (paused by budget, signal or full disk), or the store is busy: run again later.
    static let workRemains = ExitCode(75)

    static let helpText = """
        EXIT STATUS
          0   done, or nothing to do
          1   a job failed
          64  usage error
          65  bad data: damaged or foreign store, illegal change
          66  source, store or job missing
          70  internal error
          73  cannot create the store
          74  I/O error
          75  work remains, or the store is busy: run again later
        """

    /// The exit code for `error`.
    static func code(for error: any Error) -> ExitCode {
        switch error {
        case let error as StoreError:
            switch error.category {
            case .notFound: missing
            case .conflict, .damaged: badData
            case .cannotCreate: cannotCreate
            case .noSpace, .io: ioError
            case .busy: workRemains
            }
        case let error as CLIError: error.exitCode
        case is JobIDError: usage
        // Library layers wrap LMDB failures in StoreError with the path; should one slip
        // through, damage is still bad data and anything else an I/O error, never a "bug".
        case let error as LMDBError: error.meansDamagedFile ? badData : ioError
        case is PipelineStoreError: missing
        default: internalError
        }
    }
}

/// An error the command line itself raises, with the exit code it stands for.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    let exitCode: ExitCode

    var description: String { message }

    static func sourceMissing(_ path: String) -> CLIError {
        CLIError(message: "source \(path) does not exist; pass an existing file or directory", exitCode: ExitStatus.missing)
    }
}

/// `reportingErrors` for async bodies.
func reportingErrors<R>(_ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("ingest: error: \(error)")
        throw ExitStatus.code(for: error)
    }
}

/// Runs a command's body, printing any error as one clear line on stderr and exiting with
/// the documented code instead of a stack trace.
func reportingErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("ingest: error: \(error)")
        throw ExitStatus.code(for: error)
    }
}
