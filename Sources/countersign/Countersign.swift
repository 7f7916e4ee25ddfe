import ArgumentParser
import CountersignServer

/// The `countersign` command line (README and docs/).
@main
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersign",
        abstract: "An OAuth 2.0 authorization server that decides tokens for sensitive actions just in time.",
        subcommands: [
            ServeCommand.self, ClientCommand.self, IssuerCommand.self, KeysCommand.self, AuditCommand.self, PolicyCommand.self,
            UserCommand.self, RequestCommand.self, ApproveCommand.self, DenyCommand.self, WebhookCommand.self, DemoCommand.self,
        ])

    /// `serve` runs Swift's tasks on its NIO event loops; SwiftNIO installs that once, from the
    /// main thread, before any other task exists: here, ahead of parsing. The rest is
    /// `AsyncParsableCommand.main()`.
    static func main() async {
        if CommandLine.arguments.dropFirst().first == "serve" {
            CountersignServerApp.runTasksOnEventLoops()
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
