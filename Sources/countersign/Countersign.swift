import ArgumentParser

/// The `countersign` command line (INTERFACE.md, "Command line").
@main
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersign",
        abstract: "An OAuth 2.0 authorization server that decides tokens for sensitive actions just in time.",
        subcommands: [
            ServeCommand.self, ClientCommand.self, IssuerCommand.self, KeysCommand.self, AuditCommand.self, PolicyCommand.self,
            UserCommand.self, RequestCommand.self, ApproveCommand.self, DenyCommand.self, WebhookCommand.self, DemoCommand.self,
        ])
}
