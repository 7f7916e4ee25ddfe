import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation
import Logging

/// A real authorization server and its approvals over a real SQLite store in a temporary
/// directory, driven without a socket, with a clock the test moves.
public struct OAuthFixture: Sendable {
    public let directory: String
    public let store: SQLiteStore
    public let serverKey: ServerKey
    public let server: AuthorizationServer
    public let approvals: Approvals
    public let clock: ManualClock

    public static let issuer = "https://as.example.com"
    public static let secret = "s3cret-s3cret-s3cret-s3cret-s3cret-0001"

    /// A fixture failed to set something up.
    public struct SetupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func with(policies: FixedPolicy = .example, _ body: (OAuthFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-oauth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock(SystemClock().now())
        let store = try await SQLiteStore.open(path: directory + "/db.sqlite", clock: clock)
        let serverKey = ServerKey(rawBytes: ServerKey.generateRawBytes())
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let outbound = OutboundHTTPClient(policy: OutboundURLPolicy(allowPrivateCallbacks: true))
        let service = Approvals.service(store: store, clock: clock)
        let server = try await AuthorizationServer(
            issuer: issuer, store: store, serverKey: serverKey, clock: clock, policies: policies, approvals: service,
            fetcher: HTTPIssuerDocumentFetcher(client: outbound), logger: logger)
        let approvals = Approvals(
            service: service, server: server, store: store, policies: policies, serverKey: serverKey, outbound: outbound,
            clock: clock, logger: logger)
        let fixture = OAuthFixture(
            directory: directory, store: store, serverKey: serverKey, server: server, approvals: approvals, clock: clock)
        try await fixture.createClient("app", scopes: ["read", "write"])
        do {
            try await body(fixture)
        } catch {
            await outbound.shutdown()
            await store.close()
            throw error
        }
        await outbound.shutdown()
        await store.close()
    }

    public func createClient(
        _ id: String, secret: String? = OAuthFixture.secret, grants: [GrantType] = [.clientCredentials],
        scopes: [String] = ["read"], resources: [String] = []
    ) async throws {
        let client = OAuthClient(
            id: id, secretHash: secret.map { ClientSecret.hash($0, serverKey: serverKey) }, grantTypes: grants,
            scopes: scopes, resources: resources, createdAt: clock.now())
        try await store.create(client, audit: AuditRecord(type: "client.created", actor: "test", data: client.auditData))
    }

    public struct Reply: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let json: [String: JSONValue]
        public let body: [UInt8]

        public var error: String? { json["error"]?.stringValue }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The bundled example policy, as the server would load it.
    public struct FixedPolicy: PolicySource {
        public let currentPolicy: Policy?

        public init(currentPolicy: Policy?) {
            self.currentPolicy = currentPolicy
        }

        public static let example: FixedPolicy = {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Examples/policy.yaml").path
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return FixedPolicy(currentPolicy: try? PolicyParser.parse(text, file: "policy.yaml"))
        }()
    }

    public static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    public static func request(
        _ form: String, auth: String? = OAuthFixture.basic("app", OAuthFixture.secret),
        method: String = "POST", contentType: String? = "application/x-www-form-urlencoded"
    ) -> OAuthRequest {
        OAuthRequest(
            method: method, contentType: contentType, authorization: auth.map { [$0] } ?? [], body: Array(form.utf8),
            remoteAddress: "127.0.0.1")
    }

    public static func reply(_ response: OAuthResponse) -> Reply {
        let json = (try? JSONParser().parse(response.body))?.objectValue ?? [:]
        return Reply(status: response.status, headers: response.headers, json: json, body: response.body)
    }

    public func token(_ form: String, auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.token.handle(Self.request(form, auth: auth)))
    }

    public func introspect(_ token: String, as auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.introspection.handle(Self.request("token=\(Self.encode(token))", auth: auth)))
    }

    public func revoke(_ form: String, as auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.revocation.handle(Self.request(form, auth: auth)))
    }

    /// A token for `app` with the given form.
    public func accessToken(_ form: String = "grant_type=client_credentials") async throws -> String {
        let reply = await token(form)
        guard reply.status == 200, let token = reply.json["access_token"]?.stringValue else {
            throw SetupFailure(description: "token request failed: \(String(decoding: reply.body, as: UTF8.self))")
        }
        return token
    }

    public static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    public func auditTypes() async throws -> [String] {
        try await store.events(after: 0, limit: 10_000).map(\.type)
    }
}
