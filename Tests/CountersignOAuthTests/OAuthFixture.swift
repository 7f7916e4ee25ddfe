import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation
import Logging
import Synchronization
import Testing

/// A real authorization server over a real SQLite store in a temporary directory, driven
/// without a socket, with a clock the test moves.
struct OAuthFixture {
    let directory: String
    let store: SQLiteStore
    let serverKey: ServerKey
    let server: AuthorizationServer
    let clock: ManualClock

    static let issuer = "https://as.example.com"
    static let secret = "s3cret-s3cret-s3cret-s3cret-s3cret-0001"

    static func with(policies: FixedPolicy = .example, _ body: (OAuthFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-oauth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock(SystemClock().now())
        let store = try await SQLiteStore.open(path: directory + "/db.sqlite", clock: clock)
        let serverKey = ServerKey(rawBytes: ServerKey.generateRawBytes())
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let fetcher = HTTPIssuerDocumentFetcher()
        let server = try await AuthorizationServer(
            issuer: issuer, store: store, serverKey: serverKey, clock: clock, policies: policies,
            fetcher: fetcher, logger: logger)
        let fixture = OAuthFixture(directory: directory, store: store, serverKey: serverKey, server: server, clock: clock)
        try await fixture.createClient("app", scopes: ["read", "write"])
        do {
            try await body(fixture)
        } catch {
            await fetcher.shutdown()
            await store.close()
            throw error
        }
        await fetcher.shutdown()
        await store.close()
    }

    func createClient(
        _ id: String, secret: String? = OAuthFixture.secret, grants: [GrantType] = [.clientCredentials],
        scopes: [String] = ["read"], resources: [String] = []
    ) async throws {
        let client = OAuthClient(
            id: id, secretHash: secret.map { ClientSecret.hash($0, serverKey: serverKey) }, grantTypes: grants,
            scopes: scopes, resources: resources, createdAt: clock.now())
        try await store.create(client, audit: AuditRecord(type: "client.created", actor: "test", data: client.auditData))
    }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let json: [String: JSONValue]
        let body: [UInt8]

        var error: String? { json["error"]?.stringValue }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The bundled example policy, as the server would load it.
    struct FixedPolicy: PolicySource {
        let currentPolicy: Policy?

        static let example: FixedPolicy = {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Examples/policy.yaml").path
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return FixedPolicy(currentPolicy: try? PolicyParser.parse(text, file: "policy.yaml"))
        }()
    }

    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    static func request(
        _ form: String, auth: String? = OAuthFixture.basic("app", OAuthFixture.secret),
        method: String = "POST", contentType: String? = "application/x-www-form-urlencoded"
    ) -> OAuthRequest {
        OAuthRequest(
            method: method, contentType: contentType, authorization: auth.map { [$0] } ?? [], body: Array(form.utf8),
            remoteAddress: "127.0.0.1")
    }

    static func reply(_ response: OAuthResponse) -> Reply {
        let json = (try? JSONParser().parse(response.body))?.objectValue ?? [:]
        return Reply(status: response.status, headers: response.headers, json: json, body: response.body)
    }

    func token(_ form: String, auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.token.handle(Self.request(form, auth: auth)))
    }

    func introspect(_ token: String, as auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.introspection.handle(Self.request("token=\(Self.encode(token))", auth: auth)))
    }

    func revoke(_ form: String, as auth: String? = OAuthFixture.basic("app", OAuthFixture.secret)) async -> Reply {
        Self.reply(await server.revocation.handle(Self.request(form, auth: auth)))
    }

    /// A token for `app` with the given form.
    func accessToken(_ form: String = "grant_type=client_credentials") async throws -> String {
        let reply = await token(form)
        try #require(reply.status == 200, "token request failed: \(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.json["access_token"]?.stringValue)
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    func auditTypes() async throws -> [String] {
        try await store.events(after: 0, limit: 10_000).map(\.type)
    }
}
