import CountersignCore
import Logging
import NIOConcurrencyHelpers
import SQLiteNIO

/// The single writer of the SQLite store. Callers submit a state change (statements to run) and
/// the audit records that describe it; the writer takes every change waiting at that moment,
/// runs each in its own savepoint, appends the audit events of those that succeeded to the hash
/// chain, and commits them all at once: one fsync for many requests (group commit). A change whose
/// statements fail is rolled back alone; a failed audit append or commit fails the whole batch,
/// so no change is ever committed without its event, and no caller hears "done" before the
/// commit is durable.
final class SQLiteWriter: Sendable {
    typealias Work = @Sendable (SQLiteConnection) async throws -> Void

    struct Job: Sendable {
        let work: Work?
        let audit: [AuditRecord]
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// The most changes committed in one transaction.
    static let maxBatch = 512

    let connection: SQLiteConnection
    let clock: @Sendable () -> Int64
    let logger: Logger
    let pending = NIOLockedValueBox<(jobs: [Job], closed: Bool)>(([], false))
    let wakeup: AsyncStream<Void>.Continuation
    let loop: Task<Void, Never>

    init(connection: SQLiteConnection, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.connection = connection
        self.clock = clock
        self.logger = logger
        let (stream, wakeup) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wakeup = wakeup
        let pending = self.pending
        self.loop = Task {
            for await _ in stream {
                while true {
                    let batch: [Job] = pending.withLockedValue { state in
                        let n = min(state.jobs.count, SQLiteWriter.maxBatch)
                        let batch = Array(state.jobs.prefix(n))
                        state.jobs.removeFirst(n)
                        return batch
                    }
                    if batch.isEmpty { break }
                    await SQLiteWriter.commit(batch, connection: connection, clock: clock, logger: logger)
                }
            }
        }
    }

    /// Runs `work` and appends `audit` atomically; returns once both are durable.
    func write(audit: [AuditRecord], _ work: Work?) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = pending.withLockedValue { state -> Bool in
                guard !state.closed else { return false }
                state.jobs.append(Job(work: work, audit: audit, continuation: continuation))
                return true
            }
            if accepted {
                wakeup.yield()
            } else {
                continuation.resume(throwing: StoreError.unavailable("the store is shutting down"))
            }
        }
    }

    /// Finishes the pending work, then stops.
    func shutdown() async {
        pending.withLockedValue { $0.closed = true }
        wakeup.yield()
        wakeup.finish()
        await loop.value
        try? await connection.close()
    }

    static func commit(_ batch: [Job], connection: SQLiteConnection, clock: @Sendable () -> Int64, logger: Logger) async {
        var outcomes: [(any Error)?] = Array(repeating: nil, count: batch.count)
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let headRows = try await connection.query(
                    "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                var seq = Int64(headRows.first?.column("seq")?.integer ?? 0)
                var previousHash = headRows.first?.column("hash")?.string ?? AuditEvent.genesisHash
                var events: [AuditEvent] = []
                for (index, job) in batch.enumerated() {
                    if let work = job.work {
                        _ = try await connection.query("SAVEPOINT change")
                        do {
                            try await work(connection)
                            _ = try await connection.query("RELEASE change")
                        } catch {
                            _ = try await connection.query("ROLLBACK TO change")
                            _ = try await connection.query("RELEASE change")
                            outcomes[index] = error
                            continue
                        }
                    }
                    let now = clock()
                    for record in job.audit {
                        seq += 1
                        let event = AuditEvent.sealed(
                            seq: seq, timeMillis: now, record: record, previousHash: previousHash)
                        previousHash = event.hash
                        events.append(event)
                    }
                }
                try await insert(events, connection: connection)
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        } catch {
            let failure = mapped(error)
            logger.error("write batch failed", metadata: ["error": "\(failure)", "changes": "\(batch.count)"])
            for job in batch { job.continuation.resume(throwing: failure) }
            return
        }
        for (job, outcome) in zip(batch, outcomes) {
            if let outcome {
                job.continuation.resume(throwing: mapped(outcome))
            } else {
                job.continuation.resume()
            }
        }
    }

    static func insert(_ events: [AuditEvent], connection: SQLiteConnection) async throws {
        var start = 0
        while start < events.count {
            let chunk = events[start..<min(start + 100, events.count)]
            start += chunk.count
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            var binds: [SQLiteData] = []
            binds.reserveCapacity(chunk.count * 7)
            for event in chunk {
                binds.append(.integer(Int(event.seq)))
                binds.append(.integer(Int(event.timeMillis)))
                binds.append(.text(event.type))
                binds.append(.text(event.actor))
                binds.append(.text(CanonicalJSON.string(.object(event.data))))
                binds.append(.text(event.previousHash))
                binds.append(.text(event.hash))
            }
            _ = try await connection.query(
                "INSERT INTO audit_events (seq, time, type, actor, data, prev_hash, hash) VALUES \(placeholders)", binds)
        }
    }

    static func mapped(_ error: any Error) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        switch error.reason {
        case .constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed:
            return StoreError.conflict(error.message)
        default:
            return StoreError.unavailable(error.message)
        }
    }
}
