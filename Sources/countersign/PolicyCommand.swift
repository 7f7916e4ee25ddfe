import ArgumentParser
import CountersignServer

/// `countersign policy check FILE` (this version checks that the file loads; the full
/// checker, `test` and `explain` come with the decision engine).
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check policy files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that a policy file loads; errors as FILE:LINE:COL: message.")
        @Argument(help: "The policy file.") var file: String

        func run() async throws {
            do {
                let policy = try PolicyFile.load(path: file)
                print("\(file): ok (sha256 \(policy.sha256))")
            } catch let error as PolicyFileError {
                throw CommandFailure(error.description)
            }
        }
    }
}
