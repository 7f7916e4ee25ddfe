import ArgumentParser
import CountersignCore
import CountersignStore
import Foundation

/// `countersign audit verify|export|head`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify, export and checkpoint the audit chain.",
        subcommands: [Verify.self, Export.self, Head.self])

    static let page = 1000

    /// Reads the whole chain a page at a time and checks every link; `each` sees every event
    /// after its check. A break is thrown as `audit chain broken at …`.
    static func verifyChain(
        _ sqlite: SQLiteStore, each: (AuditEvent) throws -> Void = { _ in }
    ) async throws
        -> AuditChainVerifier
    {
        var verifier = AuditChainVerifier()
        var after: Int64 = 0
        while true {
            let events = try await sqlite.events(after: after, limit: page)
            if events.isEmpty { break }
            for event in events {
                do {
                    try verifier.check(event)
                } catch {
                    throw CommandFailure("audit chain broken at \(error)")
                }
                try each(event)
            }
            after = events.last?.seq ?? after
        }
        return verifier
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain; exit 0 when unbroken, else name the first bad event.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A checkpoint saved earlier by `audit head`; proves nothing was truncated or rewritten.")
        var head: String?

        func run() async throws {
            let checkpoint = try head.map(Self.readCheckpoint)
            do {
                try await verify(checkpoint)
            } catch let failure as CommandFailure where store.json {
                // With --json the verdict is on stdout as JSON too; the exit status stays non-zero.
                printJSON(["ok": false, "error": .string(failure.description)])
                throw ExitCode.failure
            }
        }

        func verify(_ checkpoint: AuditHead?) async throws {
            try await store.withStore { sqlite, serverKey in
                if let checkpoint, !checkpoint.hasValidSignature(serverKey: serverKey.auditHeadKey) {
                    throw CommandFailure("the checkpoint's signature is not valid for this data directory's server key")
                }
                var checkpointSeen = false
                let verifier = try await AuditCommand.verifyChain(sqlite) { event in
                    if let checkpoint, event.seq == checkpoint.seq {
                        guard event.hash == checkpoint.hash else {
                            throw CommandFailure(
                                "audit chain broken at event \(event.seq): differs from the checkpoint (the log was rewritten)")
                        }
                        checkpointSeen = true
                    }
                }
                if let checkpoint, !checkpointSeen {
                    throw CommandFailure(
                        "audit chain truncated: it ends at event \(verifier.lastSeq), the checkpoint names event \(checkpoint.seq)")
                }
                if store.json {
                    printJSON(["ok": true, "events": .number(JSONNumber(verifier.count)), "head": .string(verifier.lastHash)])
                } else {
                    print("audit chain ok: \(verifier.count) events, head \(verifier.lastHash)")
                }
            }
        }

        static func readCheckpoint(_ path: String) throws -> AuditHead {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure("cannot read checkpoint \(path)")
            }
            guard let head = try? JSONDecoder().decode(AuditHead.self, from: data) else {
                throw CommandFailure("\(path) is not a checkpoint written by `countersign audit head`")
            }
            return head
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the events as JSON lines.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only events at or after this time (RFC 3339, e.g. 2026-11-25T10:00:00Z).") var since: String?

        func run() async throws {
            var start = Instant(millisecondsSince1970: .min)
            if let since {
                guard let instant = Instant(rfc3339: since) else {
                    throw ValidationError("--since must be an RFC 3339 time such as 2026-11-25T10:00:00Z")
                }
                start = instant
            }
            try await store.withStore { sqlite, _ in
                var after: Int64 = 0
                while true {
                    let events = try await sqlite.events(after: after, limit: AuditCommand.page)
                    if events.isEmpty { break }
                    for event in events where event.time >= start { printJSON(event.json) }
                    after = events.last?.seq ?? after
                }
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Verify the chain, then print a signed checkpoint of its head; keep it outside the data \
                directory. A broken chain is refused: a checkpoint must never vouch for a rewritten log.
                """)
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, serverKey in
                // The checkpoint names the last event verified, not whatever head is read afterwards.
                let verified: AuditChainVerifier
                do {
                    verified = try await AuditCommand.verifyChain(sqlite)
                } catch let failure as CommandFailure {
                    throw CommandFailure("no checkpoint written: \(failure.description)")
                }
                guard verified.count > 0 else { throw CommandFailure("the audit log is empty") }
                let checkpoint = AuditHead.signed(
                    seq: verified.lastSeq, hash: verified.lastHash, time: SystemClock().now(),
                    serverKey: serverKey.auditHeadKey)
                printJSON([
                    "seq": .number(JSONNumber(checkpoint.seq)), "hash": .string(checkpoint.hash),
                    "time": .number(JSONNumber(checkpoint.time.millisecondsSince1970)), "signature": .string(checkpoint.signature),
                ])
            }
        }
    }
}
