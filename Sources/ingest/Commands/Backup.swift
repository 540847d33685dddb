import ArgumentParser
import Foundation
import IngestStore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a compacted copy of the store to DEST (a new or empty directory) and verify it.",
        discussion: """
            Safe while a runner writes: the copy is one consistent snapshot. To restore, stop the \
            runners and point --store at the copy (or move it into place). Exits 73 when DEST cannot be \
            created or is not empty, 74 when the copy cannot be written, 65 when it does not verify.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The directory to write the copy into; created if missing, must be empty.", valueName: "dest"))
    var destination: String

    func run() throws {
        try reportingErrors {
            let target = URL(fileURLWithPath: destination).standardizedFileURL.path
            // The store first: a missing or damaged one must not leave a new directory behind.
            let store = try storeOptions.openForReading()
            let created = try Self.prepareDestination(target)
            do {
                try store.copyCompacted(to: target)
            } catch let error as StoreError where error.category == .damaged {
                Self.removeIfCreated(target, created)
                throw error
            } catch {
                Self.removeIfCreated(target, created)
                throw CLIError(message: "cannot write the copy to \(target): \(error)", exitCode: ExitStatus.ioError)
            }
            let copy = try JobStore.open(at: target, mode: .readOnly)
            let problems = try StoreVerifier.verify(copy, additional: { try Verify.pipelineProblems(copy) })
            guard problems.isEmpty else {
                let found = problems.prefix(3).map(\.description).joined(separator: "; ")
                throw CLIError(
                    message: "the store at \(storeOptions.resolvedPath) is damaged: its copy at \(target) does not verify (\(found)); "
                        + "the copy was kept — `ingest verify` lists every problem",
                    exitCode: ExitStatus.badData
                )
            }
            let jobs = try copy.countsByStatus().values.reduce(0, +)
            print("backed up \(jobs) jobs to \(target); verified")
        }
    }

    /// Checks that `target` is a new or empty directory and creates it when missing;
    /// returns whether it was created.
    private static func prepareDestination(_ target: String) throws -> Bool {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try manager.contentsOfDirectory(atPath: target)).isEmpty else {
                throw CLIError(message: "\(target) exists and is not an empty directory; choose a new path", exitCode: ExitStatus.cannotCreate)
            }
            return false
        }
        do {
            try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        } catch {
            throw CLIError(message: "cannot create \(target): \(error.localizedDescription)", exitCode: ExitStatus.cannotCreate)
        }
        return true
    }

    /// Removes a destination this run created, so a failed backup leaves nothing behind.
    private static func removeIfCreated(_ target: String, _ created: Bool) {
        guard created else { return }
        try? FileManager.default.removeItem(atPath: target)
    }
}
