import CountersignCore
import CountersignStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CountersignServer

/// `GET /readyz` answers 503 with the reasons while the server cannot serve: no policy loaded,
/// or a store that does not answer. `/healthz` stays 200 (the process is up).
@Suite struct ReadinessTests {
    static func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-ready-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await SQLiteStore.open(path: dir + "/db.sqlite", clock: SystemClock())
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// The health routes alone, over a policy holder that has loaded nothing yet.
    static func get(_ path: String, store: SQLiteStore, policy: PolicyHolder) async throws -> (HTTPResponse.Status, [String: JSONValue]) {
        let router = Router(context: CountersignRequestContext.self)
        HealthRoutes.add(to: router, store: store, policy: policy)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await Application(router: router, logger: logger).test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            let json = (try? JSONParser().parse(Array(buffer: response.body)))?.objectValue ?? [:]
            return (response.status, json)
        }
    }

    @Test func withoutAPolicyReadinessIs503WithTheReason() async throws {
        try await Self.withStore { store in
            let unloaded = PolicyHolder(path: "/nonexistent/policy.yaml", audit: store)
            let (status, body) = try await Self.get("/readyz", store: store, policy: unloaded)
            #expect(status == .serviceUnavailable)
            #expect(body == ["status": "not ready", "problems": .array(["no policy loaded"])])
            #expect(try await Self.get("/healthz", store: store, policy: unloaded).0 == .ok)
        }
    }

    @Test func aStoreThatDoesNotAnswerIs503StoreUnreachable() async throws {
        try await Self.withStore { store in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-ready-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // The bundled example policy, loaded (and audited) through the open store.
            _ = try PolicyFile.installExampleIfMissing(at: dir + "/policy.yaml")
            let loaded = PolicyHolder(path: dir + "/policy.yaml", audit: store)
            try await loaded.load(actor: "test")
            #expect(try await Self.get("/readyz", store: store, policy: loaded).0 == .ok)
            let closed = try await SQLiteStore.open(path: dir + "/db.sqlite", clock: SystemClock())
            await closed.close()
            let (status, body) = try await Self.get("/readyz", store: closed, policy: loaded)
            #expect(status == .serviceUnavailable)
            #expect(body == ["status": "not ready", "problems": .array(["store unreachable"])])
        }
    }
}
