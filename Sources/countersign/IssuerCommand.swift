import ArgumentParser
import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation

/// `countersign issuer add|list|delete`: the identity providers whose tokens are accepted as
/// subjects (token exchange `subject_token`, CIBA `login_hint_token`).
struct IssuerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issuer", abstract: "Manage trusted identity providers (federation).",
        subcommands: [Add.self, List.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trust an identity provider's tokens as subjects.",
            discussion: """
                Without --jwks-uri the keys are found through ISSUER/.well-known/openid-configuration.
                --claim NAME=PATH makes the token's value at PATH the subject claim NAME that policies
                read, for example --claim roles=realm_access.roles for Keycloak.
                ISSUER and the JWKS URL must use https; plain http is allowed only for loopback hosts
                (127.0.0.0/8, ::1, localhost), for development.
                """)

        @OptionGroup var store: StoreOptions
        @Option(help: "The exact iss of the provider's tokens.") var issuer: String
        @Option(help: "The aud its tokens must carry for this server.") var audience: String
        @Option(name: .customLong("jwks-uri"), help: "The provider's JWKS URL (default: from its discovery document).")
        var jwksURI: String?
        @Option(name: .customLong("claim"), help: "NAME=PATH: a subject claim taken from the token (repeatable).")
        var claims: [String] = []
        @Option(name: .customLong("alg"), help: "An accepted signature algorithm (repeatable; default RS256 PS256 ES256 ES384 EdDSA).")
        var algorithms: [String] = []

        func validate() throws {
            if let problem = Self.problem(url: issuer, what: "--issuer") { throw ValidationError(problem) }
            if let jwksURI, let problem = Self.problem(url: jwksURI, what: "--jwks-uri") { throw ValidationError(problem) }
            guard !audience.isEmpty, audience.utf8.count <= 2048,
                !audience.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { throw ValidationError("--audience must be a non-empty value without control characters") }
            for claim in claims where ClaimMapping(text: claim) == nil {
                throw ValidationError(
                    "--claim \(claim) must be NAME=PATH, NAME letters, digits, _ or -, PATH dotted (for example roles=realm_access.roles)")
            }
            for alg in algorithms where !TrustedIssuer.supportedAlgorithms.contains(alg) {
                throw ValidationError(
                    "--alg \(alg) is not accepted; use one of \(TrustedIssuer.supportedAlgorithms.joined(separator: ", ")) (never none or an HMAC algorithm)"
                )
            }
        }

        /// The issuer and its JWKS decide whose tokens are believed: https, plain http only to a
        /// loopback host, never a link-local address, no user information (`OutboundURLPolicy`,
        /// `.issuerDocument`).
        static func problem(url: String, what: String) -> String? {
            guard ClientRegistration.problem(uri: url) == nil, URL(string: url)?.host != nil else {
                return "\(what) must be an absolute http(s) URL without a fragment"
            }
            return OutboundURLPolicy.textProblem(url, for: .issuerDocument).map { "\(what) \($0)" }
        }

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let trusted = TrustedIssuer(
                    issuer: issuer, audience: audience, jwksURI: jwksURI,
                    claimMappings: claims.compactMap(ClaimMapping.init(text:)),
                    algorithms: algorithms.isEmpty ? TrustedIssuer.defaultAlgorithms : algorithms,
                    createdAt: SystemClock().now())
                do {
                    try await sqlite.add(trusted, audit: AuditRecord(type: "issuer.added", actor: "cli", data: trusted.auditData))
                } catch let error as StoreError {
                    throw CommandFailure("\(error)")
                }
                if store.json { printJSON(.object(trusted.auditData)) } else { print("trusted issuer \(issuer)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List trusted identity providers.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let issuers = try await sqlite.trustedIssuers()
                if store.json {
                    printJSON(.array(issuers.map { .object($0.auditData) }))
                    return
                }
                if issuers.isEmpty { print("no trusted issuers") }
                for i in issuers {
                    let claims = i.claimMappings.isEmpty ? "" : "  claims: \(i.claimMappings.map(\.description).joined(separator: " "))"
                    print(
                        "\(i.issuer)  audience: \(i.audience)  jwks: \(i.jwksURI ?? "(discovery)")  algs: \(i.algorithms.joined(separator: ","))\(claims)"
                    )
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting an identity provider.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The issuer URL.") var issuer: String

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let deleted = try await sqlite.deleteIssuer(
                    issuer, audit: AuditRecord(type: "issuer.deleted", actor: "cli", data: ["issuer": .string(issuer)]))
                guard deleted else { throw CommandFailure("no trusted issuer \(issuer)") }
                if store.json { printJSON(["deleted": .string(issuer)]) } else { print("deleted trusted issuer \(issuer)") }
            }
        }
    }
}
