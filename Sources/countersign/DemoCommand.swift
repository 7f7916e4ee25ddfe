import ArgumentParser
import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `countersign demo`: the whole just-in-time story against a fresh server, printed step by
/// step: a built-in identity provider on loopback, a trusted issuer, an agent client and a
/// resource server, then real token exchanges that are allowed, spent, sent for approval,
/// asked for a step-up, denied and refused, and the audit chain that recorded them.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run a scripted end-to-end just-in-time story against a fresh server.",
        discussion: """
            Everything runs in this process on 127.0.0.1 with free ports: a test identity provider
            (OpenID discovery, JWKS, ES256 tokens) and `countersign serve` on a new data directory
            with the bundled example policy. Exits non-zero if any step answers other than expected.
            """)

    @Option(name: .customLong("data-dir"), help: "A new or empty directory (default: a temporary one, removed afterwards).")
    var dataDirectory: String?
    @Flag(help: "Keep the temporary data directory, to look at its audit log afterwards.")
    var keep = false

    static let quietLogger: Logger = {
        var logger = Logger(label: "countersign-demo")
        logger.logLevel = .warning
        return logger
    }()

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StandardErrorLogHandler(label: label)
            handler.logLevel = .warning
            return handler
        }
        let directory = try prepareDirectory()
        let temporary = dataDirectory == nil
        defer { if temporary && !keep { try? FileManager.default.removeItem(atPath: directory) } }
        // Unbuffered, so each step shows as it happens, also through a pipe.
        let say: @Sendable (String) -> Void = { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

        say("Countersign demo: just-in-time action tokens, start to finish")
        say("data directory: \(directory)" + (temporary && !keep ? " (removed at the end; --keep keeps it)" : ""))
        let idp = DemoIdentityProvider()
        // Each server runs in a service group of its own and is stopped by a graceful shutdown,
        // as SIGTERM would stop it, so it closes its store and connections before the summary.
        let (idpPorts, idpPort) = AsyncStream.makeStream(of: Int.self)
        let idpGroup = ServiceGroup(
            services: [idp.application(onRunning: { idpPort.yield($0) })], logger: Self.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await idpGroup.run() }
            guard let port = await idpPorts.first(where: { _ in true }), port > 0 else {
                throw CommandFailure("the demo identity provider could not start")
            }
            let idpIssuer = "http://127.0.0.1:\(port)"
            say("\nThe stage")
            say("  a test identity provider (built in) at \(idpIssuer), signing ES256 with key \(idp.keyID)")

            let clients = try await register(directory: directory, idpIssuer: idpIssuer, say: say)

            let (lines, line) = AsyncStream.makeStream(of: String.self)
            let configuration = try ServerConfiguration.resolve([
                ServerConfiguration.Layer([.dataDirectory: directory, .host: "127.0.0.1", .port: "0", .logLevel: "warning"])
            ])
            let serverGroup = ServiceGroup(
                services: [ServerService(configuration: configuration, announce: { line.yield($0) })],
                logger: Self.quietLogger)
            group.addTask {
                defer { line.finish() }
                try await serverGroup.run()
            }
            var serverURL: String?
            for await text in lines {
                if let range = text.range(of: "countersign listening on ") {
                    serverURL = String(text[range.upperBound...])
                    break
                }
            }
            guard let serverURL else { throw CommandFailure("the server did not start") }
            say("  countersign listening on \(serverURL), with the bundled example policy (\(directory)/policy.yaml)")

            let story = DemoStory(
                server: DemoClient(baseURL: serverURL), idp: idp, idpIssuer: idpIssuer, agent: clients.agent,
                paymentsAPI: clients.paymentsAPI, approvers: clients.approvers, print: say)
            var failure: DemoStory.Failure?
            do { try await story.run() } catch let error as DemoStory.Failure { failure = error }
            await serverGroup.triggerGracefulShutdown()
            await idpGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            if let failure { throw CommandFailure(failure.description) }
        }
        try await summarise(directory: directory, say: say)
    }

    /// `countersign serve` as a service of the demo's group.
    struct ServerService: Service {
        let configuration: ServerConfiguration
        let announce: @Sendable (String) -> Void

        func run() async throws {
            try await CountersignServerApp.run(configuration: configuration, logger: DemoCommand.quietLogger, announce: announce)
        }
    }

    /// A new temporary directory, or the one given if it is new or empty: the demo never
    /// writes into a data directory that holds anything.
    func prepareDirectory() throws -> String {
        let manager = FileManager.default
        guard let dataDirectory else {
            let path = manager.temporaryDirectory.appendingPathComponent("countersign-demo-\(UUID().uuidString.prefix(8))").path
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: dataDirectory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CommandFailure("--data-dir \(dataDirectory) is a file; the demo needs a new or empty directory")
        }
        if let contents = try? manager.contentsOfDirectory(atPath: dataDirectory), !contents.isEmpty {
            throw CommandFailure("--data-dir \(dataDirectory) is not empty; the demo needs a new or empty directory")
        }
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return dataDirectory
    }

    /// What an operator would do with `countersign issuer add` and `client create`.
    func register(
        directory: String, idpIssuer: String, say: @Sendable (String) -> Void
    ) async throws -> (agent: (id: String, secret: String), paymentsAPI: (id: String, secret: String), approvers: [String: String]) {
        let options = try StoreOptions.parse(["--data-dir", directory])
        let agent = (id: "agent", secret: ClientSecret.generate())
        let paymentsAPI = (id: "payments-api", secret: ClientSecret.generate())
        var approvers: [String: String] = [:]
        try await options.withStore { sqlite, serverKey in
            let now = SystemClock().now()
            for name in ["fiona", "gita"] {
                let user = User(name: name, groups: ["finance-leads"], createdAt: now)
                try await sqlite.create(user, audit: AuditRecord(type: "user.created", actor: "cli", data: user.auditData))
                let token = PersonalToken.generate()
                try await sqlite.replaceToken(
                    hash: PersonalToken.hash(token, serverKey: serverKey), for: name, createdAt: now,
                    audit: AuditRecord(type: "user.token_created", actor: "cli", data: ["name": .string(name)]))
                approvers[name] = token
            }
            let trusted = TrustedIssuer(
                issuer: idpIssuer, audience: DemoIdentityProvider.audience, jwksURI: nil,
                claimMappings: [ClaimMapping(name: "roles", path: "realm_access.roles")],
                algorithms: ["ES256"], createdAt: now)
            try await sqlite.add(trusted, audit: AuditRecord(type: "issuer.added", actor: "cli", data: trusted.auditData))
            for (client, grant, resources) in [
                (agent, GrantType.tokenExchange, [String]()), (paymentsAPI, GrantType.clientCredentials, [DemoStory.payments]),
            ] {
                let registered = OAuthClient(
                    id: client.id, secretHash: ClientSecret.hash(client.secret, serverKey: serverKey), grantTypes: [grant],
                    scopes: [], resources: resources, createdAt: now)
                try await sqlite.create(registered, audit: AuditRecord(type: "client.created", actor: "cli", data: registered.auditData))
            }
        }
        say(
            "  countersign issuer add --issuer \(idpIssuer) --audience \(DemoIdentityProvider.audience) --claim roles=realm_access.roles --alg ES256"
        )
        say("  countersign client create --id agent --grant-type token-exchange            (the app acting for its users)")
        say("  countersign client create --id payments-api --grant-type client_credentials --resource \(DemoStory.payments)")
        say("  countersign user create fiona --group finance-leads; countersign user create gita --group finance-leads")
        say("  countersign user token fiona; countersign user token gita   (personal tokens for the approver API)")
        return (agent, paymentsAPI, approvers)
    }

    /// The audit chain the story left behind, verified.
    func summarise(directory: String, say: @Sendable (String) -> Void) async throws {
        let options = try StoreOptions.parse(["--data-dir", directory])
        try await options.withStore { sqlite, _ in
            var counts: [String: Int] = [:]
            var outcomes: [String] = []
            let verifier = try await AuditCommand.verifyChain(sqlite) { event in
                counts[event.type, default: 0] += 1
                if event.type == "decision", let outcome = event.data["outcome"]?.stringValue {
                    let rules = event.data["rules"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? ""
                    outcomes.append("\(event.data["sub"]?.stringValue ?? "?"): \(outcome)" + (rules.isEmpty ? "" : " (\(rules))"))
                }
            }
            say("\nThe audit log: \(verifier.count) events, hash chain verified (countersign audit verify)")
            for (type, count) in counts.sorted(by: { $0.key < $1.key }) { say("  \(type): \(count)") }
            say("  decisions, with the rules that made them:")
            for outcome in outcomes { say("    \(outcome)") }
        }
        say("\nDone. Next: docs/ACTION-TOKENS.md for the reference, README for running your own.")
    }
}
