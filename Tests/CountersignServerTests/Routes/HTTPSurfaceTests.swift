import CountersignCore
import CountersignOAuth
import CountersignServer
import CountersignStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The HTTP surface over a real socket on loopback (HummingbirdTesting's live mode), with the
/// real assembly: SQLite store, keys, policy.
@Suite struct HTTPSurfaceTests {
    static let secret = "http-secret-http-secret-http-secret-0001"

    static func withServer(
        _ body: @Sendable (any TestClientProtocol, CountersignServerApp.Assembly) async throws -> Void
    )
        async throws
    {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-http-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = ServerConfiguration()
        config.dataDirectory = dir
        config.issuer = "http://countersign.test"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let assembly = try await CountersignServerApp.assemble(configuration: config, logger: logger)
        let serverKey = try DataDirectory(path: dir).serverKey()
        let client = OAuthClient(
            id: "app", secretHash: ClientSecret.hash(secret, serverKey: serverKey), grantTypes: [.clientCredentials],
            scopes: ["read"], createdAt: Instant(millisecondsSince1970: 0))
        try await assembly.store.create(client, audit: AuditRecord(type: "client.created", actor: "test", data: [:]))
        let app = Application(router: assembly.router(), logger: logger)
        do {
            try await app.test(.live) { client in try await body(client, assembly) }
        } catch {
            await assembly.close()
            throw error
        }
        await assembly.close()
    }

    static var basic: HTTPFields {
        [
            .authorization: "Basic " + Data("app:\(secret)".utf8).base64EncodedString(),
            .contentType: "application/x-www-form-urlencoded",
        ]
    }

    static func json(_ response: TestResponse) -> [String: JSONValue] {
        (try? JSONParser().parse(Array(buffer: response.body)))?.objectValue ?? [:]
    }

    @Test func aTokenOverRealHTTP() async throws {
        try await Self.withServer { client, _ in
            let response = try await client.execute(
                uri: "/token", method: .post, headers: Self.basic, body: ByteBuffer(string: "grant_type=client_credentials"))
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentType] == "application/json")
            #expect(Self.json(response)["token_type"] == "Bearer")
        }
    }

    @Test func oversizedBodiesAre413AsOAuthJSON() async throws {
        try await Self.withServer { client, _ in
            let body = ByteBuffer(string: "grant_type=client_credentials&pad=" + String(repeating: "a", count: 70 * 1024))
            let response = try await client.execute(uri: "/token", method: .post, headers: Self.basic, body: body)
            #expect(response.status == .contentTooLarge)
            #expect(Self.json(response)["error"] == "invalid_request")
        }
    }

    @Test func getOnTheTokenEndpointIs405WithAllow() async throws {
        try await Self.withServer { client, _ in
            for path in ["/token", "/introspect", "/revoke"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(Self.json(response)["error"] == "invalid_request")
            }
        }
    }

    /// RFC 9110 §15.5.6: a method that a known resource does not support is 405 with `Allow`
    /// naming the methods it does support, never a 404 that says the resource is not there.
    @Test func otherMethodsOnKnownPathsAre405WithAllow() async throws {
        try await Self.withServer { client, _ in
            let port = try #require(client.port)
            let cases: [(path: String, method: HTTPRequest.Method, allow: String)] = [
                ("/token", .trace, "POST"), ("/bc-authorize", .trace, "POST"), ("/revoke", .options, "POST"),
                ("/healthz", .post, "GET, HEAD"), ("/readyz", .delete, "GET"), ("/jwks.json", .put, "GET, HEAD"),
                ("/.well-known/openid-configuration", .trace, "GET, HEAD"),
                ("/.well-known/oauth-authorization-server", .post, "GET, HEAD"), ("/metrics", .patch, "GET, HEAD"),
                ("/api/v1/openapi.yaml", .query, "GET"), ("/api/v1/events", .post, "GET"),
                ("/api/v1/approval-requests", .post, "GET"), ("/api/v1/approval-requests/some-id", .delete, "GET"),
                ("/api/v1/approval-requests/some-id/approve", .options, "POST"),
                ("/api/v1/approval-requests/some-id/deny", .head, "POST"),
            ]
            for (path, method, allow) in cases {
                let response = try await Self.alone(port, path, method)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                if method != .head {
                    let body = (try? JSONParser().parse(Array(buffer: response.body ?? ByteBuffer())))?.objectValue
                    #expect(body?["error"] == "invalid_request", "\(method) \(path)")
                }
            }
            // Unknown paths stay 404 whatever the method.
            #expect(try await Self.alone(port, "/nope", .trace).status == .notFound)
        }
    }

    /// One request on a connection of its own: the answer to a request that declares a body its
    /// route does not read closes the connection (`UnreadBodyGuard`).
    static func alone(_ port: Int, _ uri: String, _ method: HTTPRequest.Method) async throws -> TestClient.Response {
        let connection = TestClient(host: "localhost", port: port)
        connection.connect()
        do {
            let response = try await connection.execute(.init(uri, method: method, authority: "localhost"))
            try await connection.shutdown()
            return response
        } catch {
            try? await connection.shutdown()
            throw error
        }
    }

    @Test func bothDiscoveryDocumentsDescribeTheSameServer() async throws {
        try await Self.withServer { client, _ in
            let a = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get)
            let b = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(a.status == .ok && b.status == .ok)
            #expect(a.body == b.body)
            let doc = Self.json(a)
            #expect(doc["issuer"] == "http://countersign.test")
            #expect(doc["token_endpoint"] == "http://countersign.test/token")
            #expect(
                doc["grant_types_supported"]
                    == ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange", "urn:openid:params:grant-type:ciba"])
            #expect(doc["authorization_details_types_supported"]?.arrayCount == 6)
            #expect(doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"])
        }
    }

    @Test func theJWKSPublishesThePublicKeyOnly() async throws {
        try await Self.withServer { client, assembly in
            let response = try await client.execute(uri: "/jwks.json", method: .get)
            guard case .array(let keys)? = Self.json(response)["keys"], case .object(let key)? = keys.first else {
                Issue.record("no keys")
                return
            }
            #expect(keys.count == 1)
            #expect(key["kid"] == .string(assembly.authorizationServer.keys.activeKid))
            #expect(key["alg"] == "ES256")
            #expect(key["use"] == "sig")
            #expect(key["kty"] == "EC")
            #expect(key["crv"] == "P-256")
            #expect(key["d"] == nil)
        }
    }

    @Test func healthAndReadiness() async throws {
        try await Self.withServer { client, _ in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(Self.json(ready)["status"] == "ready")
        }
    }

    @Test func aBareSemicolonContentTypeIsABadRequestNotACrash() async throws {
        try await Self.withServer { client, _ in
            for value in [";", "", " ; charset=x"] {
                var headers = Self.basic
                headers[.contentType] = value
                let response = try await client.execute(
                    uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: "grant_type=client_credentials"))
                #expect(response.status == .badRequest)
                #expect(Self.json(response)["error"] == "invalid_request")
            }
        }
    }

    @Test func unknownPathsAre404() async throws {
        try await Self.withServer { client, _ in
            let response = try await client.execute(uri: "/nope", method: .get)
            #expect(response.status == .notFound)
        }
    }
}

extension JSONValue {
    fileprivate var arrayCount: Int? {
        if case .array(let items) = self { return items.count }
        return nil
    }
}
