import Benchmark
import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation
import Logging

/// In-process figures for the hot paths, without HTTP: the whole token endpoint
/// (client authentication, ES256 signing, the durable audit append) and introspection
/// (strict parsing, signature check), plus sealing one audit event.
/// Run: cd Benchmarks && swift package benchmark
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        maxDuration: .seconds(5), maxIterations: 200_000)

    // The decision engine is measured by the PolicyTiming executable instead (per-call timing
    // like the peers' engines; this harness's per-iteration and malloc-counting overhead is
    // larger than a decision).

    Benchmark("AuditEvent.sealed (RFC 8785 + SHA-256)") { benchmark in
        let record = AuditRecord(
            type: "token.issued", actor: "client:bench",
            data: [
                "jti": "abcdefghijklmnopqrstuv", "client_id": "bench", "sub": "bench", "aud": "http://127.0.0.1:8080",
                "scope": "read", "grant_type": "client_credentials", "exp": 1_795_000_000, "ip": "127.0.0.1",
            ])
        var previous = AuditEvent.genesisHash
        for i in benchmark.scaledIterations {
            let event = AuditEvent.sealed(seq: Int64(i), time: Instant(millisecondsSince1970: 1), record: record, previousHash: previous)
            previous = event.hash
        }
        blackHole(previous)
    }

    Benchmark("TokenEndpoint client_credentials (sign + durable audit)") { benchmark in
        let fixture = try await Fixture.make()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await fixture.server.token.handle(fixture.tokenRequest))
        }
        benchmark.stopMeasurement()
        await fixture.close()
    }

    Benchmark("TokenEndpoint client_credentials, 32 concurrent") { benchmark in
        let fixture = try await Fixture.make()
        let perTask = benchmark.scaledIterations.count / 32 + 1
        benchmark.startMeasurement()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    for _ in 0..<perTask {
                        blackHole(await fixture.server.token.handle(fixture.tokenRequest))
                    }
                }
            }
        }
        benchmark.stopMeasurement()
        await fixture.close()
    }

    Benchmark("IntrospectionEndpoint active token") { benchmark in
        let fixture = try await Fixture.make()
        let response = await fixture.server.token.handle(fixture.tokenRequest)
        let token = (try JSONParser().parse(response.body)).objectValue?["access_token"]?.stringValue ?? ""
        let request = OAuthRequest(
            method: "POST", contentType: "application/x-www-form-urlencoded", authorization: [fixture.basic],
            body: Array("token=\(token)".utf8))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await fixture.server.introspection.handle(request))
        }
        benchmark.stopMeasurement()
        await fixture.close()
    }
}

struct Fixture: Sendable {
    let directory: String
    let store: SQLiteStore
    let server: AuthorizationServer
    let basic: String
    var tokenRequest: OAuthRequest {
        OAuthRequest(
            method: "POST", contentType: "application/x-www-form-urlencoded", authorization: [basic],
            body: Array("grant_type=client_credentials&scope=read".utf8), remoteAddress: "127.0.0.1")
    }

    static func make() async throws -> Fixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(path: directory + "/db.sqlite")
        let serverKey = ServerKey(rawBytes: ServerKey.generateRawBytes())
        let secret = "bench-secret-bench-secret-bench-secret-0001"
        try await store.create(
            OAuthClient(
                id: "bench", secretHash: ClientSecret.hash(secret, serverKey: serverKey), grantTypes: [.clientCredentials],
                scopes: ["read"], createdAt: 0),
            audit: AuditRecord(type: "client.created", actor: "bench", data: [:]))
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let server = try await AuthorizationServer(
            issuer: "http://127.0.0.1:8080", store: store, serverKey: serverKey, clock: SystemClock(),
            logger: logger)
        return Fixture(
            directory: directory, store: store, server: server,
            basic: "Basic " + Data("bench:\(secret)".utf8).base64EncodedString())
    }

    func close() async {
        await store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
