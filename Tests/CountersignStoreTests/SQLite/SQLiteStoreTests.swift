import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite struct SQLiteStoreTests {
    static func client(_ id: String) -> OAuthClient {
        OAuthClient(
            id: id, secretHash: [1, 2, 3], grantTypes: [.clientCredentials], scopes: ["read", "write"],
            resources: ["https://api.example.com"], createdAt: ms(1))
    }

    static func record(_ type: String, _ n: Int = 0) -> AuditRecord {
        AuditRecord(type: type, actor: "test", data: ["n": .number(JSONNumber(n))])
    }

    static func verify(_ store: SQLiteStore) async throws -> (count: Int64, error: AuditChainVerifier.Break?) {
        var verifier = AuditChainVerifier()
        for event in try await store.events(after: 0, limit: 100_000) {
            do { try verifier.check(event) } catch { return (verifier.count, error) }
        }
        return (verifier.count, nil)
    }

    @Test func migrationsRunOnceAndReopeningKeepsData() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let store = try await SQLiteStore.open(path: path)
            try await store.create(Self.client("a"), audit: Self.record("client.created"))
            await store.close()
            let again = try await SQLiteStore.open(path: path)
            #expect(try await again.client(id: "a") == Self.client("a"))
            await again.close()
        }
    }

    @Test func aWebhookIsFoundByItsIdAndGoneOnceDeleted() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            let hook = Webhook(
                id: "wh-1", group: "security", url: "https://hooks.example.com/x", format: .json,
                sealedSecret: [1, 2, 3], createdAt: ms(5))
            try await store.create(hook, audit: Self.record("webhook.created"))
            #expect(try await store.webhook(id: "wh-1") == hook)
            #expect(try await store.webhook(id: "wh-2") == nil)
            #expect(try await store.webhook(id: "wh-1' OR '1'='1") == nil)
            try await store.deleteWebhook(id: "wh-1", audit: Self.record("webhook.deleted"))
            #expect(try await store.webhook(id: "wh-1") == nil)
            await store.close()
        }
    }

    @Test func aClientAndItsEventCommitTogether() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            try await store.create(Self.client("a"), audit: Self.record("client.created"))
            await #expect(throws: StoreError.conflict("a client with id \"a\" already exists")) {
                try await store.create(Self.client("a"), audit: Self.record("client.created"))
            }
            // The refused duplicate left no event behind.
            let events = try await store.events(after: 0, limit: 10)
            #expect(events.map(\.type) == ["client.created"])
            #expect(try await store.delete(id: "a", audit: Self.record("client.deleted")))
            #expect(try await store.delete(id: "a", audit: Self.record("client.deleted")) == false)
            #expect(try await store.events(after: 0, limit: 10).map(\.type) == ["client.created", "client.deleted"])
            #expect(try await store.client(id: "a") == nil)
            await store.close()
        }
    }

    @Test func concurrentAppendsFormOneUnbrokenChain() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<500 {
                    group.addTask { try await store.append([Self.record("token.issued", i)]) }
                }
                try await group.waitForAll()
            }
            let result = try await Self.verify(store)
            #expect(result.error == nil)
            #expect(result.count == 500)
            let ns = Set(try await store.events(after: 0, limit: 1000).compactMap { $0.data["n"]?.int64Value })
            #expect(ns.count == 500)
            await store.close()
        }
    }

    @Test func twoProcessesAppendingToOneFileDoNotFork() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let a = try await SQLiteStore.open(path: path)
            let b = try await SQLiteStore.open(path: path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    let store = i % 2 == 0 ? a : b
                    group.addTask { try await store.append([Self.record("token.issued", i)]) }
                }
                try await group.waitForAll()
            }
            let result = try await Self.verify(a)
            #expect(result.error == nil)
            #expect(result.count == 200)
            await a.close()
            await b.close()
        }
    }

    @Test func theAuditTableRefusesUpdatesAndDeletes() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let store = try await SQLiteStore.open(path: path)
            try await store.append([Self.record("x")])
            await store.close()
            let sqlite = Process()
            sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            sqlite.arguments = [
                "python3", "-c",
                """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1])
                for sql in ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"]:
                    try:
                        c.execute(sql); c.commit(); print("allowed")
                    except sqlite3.DatabaseError as e:
                        print(e)
                """, path,
            ]
            let pipe = Pipe()
            sqlite.standardOutput = pipe
            try sqlite.run()
            sqlite.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(output == "audit_events is append-only\naudit_events is append-only\n")
        }
    }

    @Test func revocationsAreIdempotentAndPurgedAfterExpiry() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            try await store.revoke(jti: "j1", clientID: "c", expiresAt: ms(1000), audit: Self.record("token.revoked"))
            try await store.revoke(jti: "j1", clientID: "c", expiresAt: ms(1000), audit: Self.record("token.revoked"))
            try await store.revoke(jti: "j2", clientID: "c", expiresAt: ms(5000), audit: Self.record("token.revoked"))
            #expect(try await store.events(after: 0, limit: 10).count == 2)
            #expect(try await store.isRevoked(jti: "j1"))
            #expect(try await store.revocations(activeAt: ms(2000)) == ["j2": ms(5000)])
            #expect(try await store.purgeExpiredRevocations(now: ms(2000)) == 1)
            #expect(try await store.isRevoked(jti: "j1") == false)
            #expect(try await store.isRevoked(jti: "j2"))
            await store.close()
        }
    }

    @Test func sqlMetacharactersAreData() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            let id = "x' OR 1=1; DROP TABLE clients;--"
            try await store.create(Self.client(id), audit: Self.record("client.created"))
            #expect(try await store.client(id: id)?.id == id)
            #expect(try await store.client(id: "' OR '1'='1") == nil)
            #expect(try await store.clients().count == 1)
            await store.close()
        }
    }

    @Test func aCorruptDatabaseIsRefusedWithAClearMessage() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 8192))
            await #expect {
                _ = try await SQLiteStore.open(path: path)
            } throws: { error in
                guard case StoreError.corrupt(let message) = error else { return false }
                return message.contains(path)
            }
        }
    }

    @Test func aDatabaseAnotherProcessKeepsLockedIsBusyNotCorrupt() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            await (try SQLiteStore.open(path: path)).close()
            // Another process holds the write lock past the busy timeout (a long migration).
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = [
                "python3", "-c",
                """
                import sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
                c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(9)
                """, path,
            ]
            let pipe = Pipe()
            holder.standardOutput = pipe
            try holder.run()
            _ = pipe.fileHandleForReading.availableData  // "locked"
            // A migration is pending (its row removed), so opening needs the write lock.
            do {
                await (try SQLiteStore.open(path: path)).close()
                Issue.record("the database opened while another process held its write lock")
            } catch {
                #expect("\(error)".hasPrefix("store unavailable: the database \(path) is busy"), "\(error)")
            }
            holder.terminate()
            holder.waitUntilExit()
        }
    }

    @Test func aNewerSchemaIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/db.sqlite"
            let store = try await SQLiteStore.open(path: path)
            await store.close()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO schema_migrations VALUES (999,'future',0)\"); c.commit()",
                path,
            ]
            try p.run()
            p.waitUntilExit()
            await #expect {
                _ = try await SQLiteStore.open(path: path)
            } throws: { error in
                "\(error)".contains("schema version 999")
            }
        }
    }

    @Test func signingKeyActivationRetiresThePreviousKey() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
            let first = StoredSigningKey(kid: "k1", algorithm: "ES256", encryptedPrivateKey: [1], publicJWK: "{}", createdAt: ms(1))
            let second = StoredSigningKey(kid: "k2", algorithm: "ES256", encryptedPrivateKey: [2], publicJWK: "{}", createdAt: ms(2))
            try await store.activate(first, retiringOthersAt: ms(1), publishedUntil: ms(100), audit: Self.record("key.created"))
            try await store.activate(second, retiringOthersAt: ms(2), publishedUntil: ms(200), audit: Self.record("key.rotated"))
            let keys = try await store.signingKeys()
            #expect(keys.map(\.kid) == ["k2", "k1"])
            #expect(keys[0].retiredAt == nil)
            #expect(keys[1].retiredAt == ms(2) && keys[1].publishedUntil == ms(200))
            #expect(keys[1].encryptedPrivateKey == [1])
            // A third key that ends the others at once (a compromised key) pulls every earlier
            // retirement and publication forward, including a key still waiting to activate.
            let pending = StoredSigningKey(
                kid: "k3", algorithm: "ES256", encryptedPrivateKey: [3], publicJWK: "{}", createdAt: ms(3), activatesAt: ms(500))
            try await store.activate(pending, retiringOthersAt: ms(500), publishedUntil: ms(4000), audit: Self.record("key.rotated"))
            let urgent = StoredSigningKey(
                kid: "k4", algorithm: "ES256", encryptedPrivateKey: [4], publicJWK: "{}", createdAt: ms(4), activatesAt: ms(4))
            try await store.activate(urgent, retiringOthersAt: ms(4), publishedUntil: ms(4), audit: Self.record("key.rotated"))
            let after = Dictionary(uniqueKeysWithValues: try await store.signingKeys().map { ($0.kid, $0) })
            #expect(after["k2"]?.retiredAt == ms(4) && after["k2"]?.publishedUntil == ms(4))
            #expect(after["k3"]?.retiredAt == ms(4) && after["k3"]?.publishedUntil == ms(4))
            #expect(after["k1"]?.retiredAt == ms(2) && after["k1"]?.publishedUntil == ms(4))
            #expect(after["k4"]?.retiredAt == nil && after["k4"]?.publishedUntil == nil)
            await store.close()
        }
    }
}

@Suite struct DataDirectoryTests {
    @Test func aDirectoryIsNewWhenCreatedOrFoundEmptyButNotOnceItHoldsAnything() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
            #expect(try DataDirectory(path: dir).prepare())  // made beforehand, still empty: made owner-only
            #expect(try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int == 0o700)
            let created = DataDirectory(path: dir + "/created")
            #expect(try created.prepare())
            _ = try created.serverKey()
            #expect(try !created.prepare())
            _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data())
            #expect {
                try DataDirectory(path: dir + "/file").prepare()
            } throws: { "\($0)" == "\(dir)/file exists and is not a directory" }
        }
    }

    @Test func concurrentFirstUsesAgreeOnOneServerKey() async throws {
        try await withTemporaryDirectory { dir in
            let directory = DataDirectory(path: dir + "/data")
            try directory.prepare()
            let secrets = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<16 {
                    group.addTask { ClientSecret.hash("probe-probe-probe-probe-probe-probe", serverKey: try directory.serverKey()) }
                }
                var all: [[UInt8]] = []
                for try await hash in group { all.append(hash) }
                return all
            }
            #expect(Set(secrets.map(\.hexString)).count == 1)
        }
    }
}

/// A time `value` milliseconds after 1970, for the store tests' small literal times.
private func ms(_ value: Int64) -> Instant { Instant(millisecondsSince1970: value) }
