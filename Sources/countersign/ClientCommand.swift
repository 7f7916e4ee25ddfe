import ArgumentParser
import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation

/// `countersign client create|list|delete|rotate-secret`.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Manage OAuth clients.",
        subcommands: [Create.self, List.self, Delete.self, RotateSecret.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client; without --secret a random secret is generated and printed once.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Client id.") var id: String
        @Option(help: "Client secret (at least 32 characters); omit to generate one.") var secret: String?
        @Flag(help: "A public client (no secret).") var `public` = false
        @Option(
            name: .customLong("grant-type"),
            help: "Grant type (repeatable): \(ServedGrants.grantTypes.map(\.shortName).joined(separator: ", ")).")
        var grantTypes: [String] = []
        @Option(help: "Allowed scopes, space separated.") var scope: String?
        @Option(name: .customLong("redirect-uri"), help: "Redirect URI (repeatable).") var redirectURIs: [String] = []
        @Option(name: .customLong("ciba-mode"), help: "poll, ping or push.") var cibaMode: String?
        @Option(name: .customLong("notification-endpoint"), help: "CIBA client notification endpoint.") var notificationEndpoint: String?
        @Option(name: .customLong("jwks-uri"), help: "The client's JWKS URL.") var jwksURI: String?
        @Option(name: .customLong("resource"), help: "Marks a resource server for this audience (repeatable).") var resources: [String] = []
        @Option(
            name: .customLong("max-token-lifetime"),
            help: "Seconds (60-3600): no token issued to this client lives longer, whatever a policy rule's TTL says.")
        var maxTokenLifetime: Int64?
        @Flag(
            name: .customLong("asserts-users"),
            help: """
                Trust this CIBA client to assert who its users are: its backchannel requests then skip the \
                user's own confirmation (each use is audited as ciba.user_asserted). Off by default: a \
                login_hint only names the user, who confirms on their own device.
                """)
        var assertsUsers = false

        func validate() throws {
            if let problem = ClientRegistration.problem(id: id) { throw ValidationError(problem) }
            if `public` && secret != nil { throw ValidationError("a public client has no secret: drop --secret or --public") }
            if let secret, let problem = ClientSecret.problem(with: secret) { throw ValidationError(problem) }
            if `public` && grantTypes.contains(where: { GrantType(name: $0) == .clientCredentials }) {
                throw ValidationError("client_credentials is for confidential clients only (RFC 6749 section 4.4): drop --public")
            }
            if grantTypes.isEmpty { throw ValidationError("name at least one --grant-type (for example client_credentials)") }
            for name in grantTypes {
                if let problem = ServedGrants.problem(registering: name) { throw ValidationError(problem) }
            }
            if let scope, let problem = ClientRegistration.problem(scope: scope) { throw ValidationError(problem) }
            if let cibaMode, !["poll", "ping", "push"].contains(cibaMode) {
                throw ValidationError("--ciba-mode must be poll, ping or push")
            }
            if let cibaMode, !grantTypes.contains(where: { GrantType(name: $0) == .ciba }) {
                throw ValidationError("--ciba-mode \(cibaMode) needs --grant-type ciba")
            }
            if cibaMode == "ping" || cibaMode == "push", notificationEndpoint == nil {
                throw ValidationError(
                    "--ciba-mode \(cibaMode ?? "") needs --notification-endpoint URL: the server calls it when a request is decided (CIBA section 10)"
                )
            }
            if notificationEndpoint != nil, cibaMode != "ping" && cibaMode != "push" {
                throw ValidationError("--notification-endpoint is only used with --ciba-mode ping or push")
            }
            if assertsUsers, !grantTypes.contains(where: { GrantType(name: $0) == .ciba }) {
                throw ValidationError("--asserts-users is about CIBA requests: it needs --grant-type ciba")
            }
            if `public` && grantTypes.contains(where: { GrantType(name: $0) == .ciba }) {
                throw ValidationError("the CIBA grant is for confidential clients only (CIBA section 7.1): drop --public")
            }
            if let maxTokenLifetime, !OAuthClient.maxTokenLifetimeRange.contains(maxTokenLifetime) {
                throw ValidationError(
                    "--max-token-lifetime must be between \(OAuthClient.maxTokenLifetimeRange.lowerBound) and \(OAuthClient.maxTokenLifetimeRange.upperBound) seconds"
                )
            }
            for uri in redirectURIs + resources + [notificationEndpoint, jwksURI].compactMap({ $0 }) {
                if let problem = ClientRegistration.problem(uri: uri) { throw ValidationError(problem) }
            }
            // The server calls it (`OutboundURLPolicy`, `.callback`); the rest of the rules, which
            // depend on serve's --allow-private-callbacks, are checked at each call.
            if let notificationEndpoint, let refusal = OutboundURLPolicy.textProblem(notificationEndpoint, for: .callback) {
                throw ValidationError("--notification-endpoint \(refusal)")
            }
        }

        func run() async throws {
            let generated = (`public` || secret != nil) ? nil : ClientSecret.generate()
            let plainSecret = secret ?? generated
            try await store.withStore { sqlite, serverKey in
                let client = OAuthClient(
                    id: id, secretHash: plainSecret.map { ClientSecret.hash($0, serverKey: serverKey) },
                    grantTypes: grantTypes.compactMap(GrantType.init(name:)),
                    scopes: (scope ?? "").split(separator: " ").map(String.init),
                    redirectURIs: redirectURIs, resources: resources, cibaMode: cibaMode,
                    notificationEndpoint: notificationEndpoint, jwksURI: jwksURI, maxTokenLifetime: maxTokenLifetime,
                    assertsUsers: assertsUsers, createdAt: SystemClock().now())
                do {
                    try await sqlite.create(
                        client, audit: AuditRecord(type: "client.created", actor: "cli", data: client.auditData))
                } catch let error as StoreError {
                    throw CommandFailure("\(error)")
                }
                if store.json {
                    var out = client.auditData
                    if let generated { out["client_secret"] = .string(generated) }
                    printJSON(.object(out))
                } else {
                    print("created client \(id)")
                    if let generated {
                        print("client_secret: \(generated)")
                        print("(shown once; only a keyed hash is stored)")
                    }
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let clients = try await sqlite.clients()
                if store.json {
                    printJSON(.array(clients.map { .object($0.auditData) }))
                    return
                }
                if clients.isEmpty { print("no clients") }
                for c in clients {
                    let kind = c.isPublic ? "public" : "confidential"
                    var extra = c.resources.isEmpty ? "" : "  resources: \(c.resources.joined(separator: " "))"
                    if c.assertsUsers { extra += "  asserts users (CIBA requests skip the user's confirmation)" }
                    print(
                        "\(c.id)  \(kind)  grants: \(c.grantTypes.map(\.rawValue).joined(separator: ",")) scope: \"\(c.scopes.joined(separator: " "))\"\(extra)"
                    )
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Client id.") var id: String

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let deleted = try await sqlite.delete(
                    id: id, audit: AuditRecord(type: "client.deleted", actor: "cli", data: ["client_id": .string(id)]))
                guard deleted else { throw CommandFailure("no client with id \"\(id)\"") }
                if store.json { printJSON(["deleted": .string(id)]) } else { print("deleted client \(id)") }
            }
        }
    }
}
