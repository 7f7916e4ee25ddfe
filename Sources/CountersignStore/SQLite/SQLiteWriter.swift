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
    /// A change that reads what it changes inside the transaction and returns the audit
    /// records its outcome calls for (an approval vote: the request as it is at that moment).
    typealias DecidingWork = @Sendable (SQLiteConnection) async throws -> [AuditRecord]

    struct Job: Sendable {
        let work: DecidingWork?
        let audit: [AuditRecord]
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// The most changes committed in one transaction.
    static let maxBatch = 512
    /// The most events in one batch (7 binds each, well inside SQLite's bind limit).
    static let maxEvents = 2048

    let connection: SQLiteConnection
    let clock: @Sendable () -> Int64
    let logger: Logger
    let pending = NIOLockedValueBox<(jobs: [Job], closed: Bool)>(([], false))
    /// The approval events this writer committed, while someone follows the approval feed.
    let own: OwnApprovalEvents
    let wakeup: AsyncStream<Void>.Continuation
    let loop: Task<Void, Never>

    init(connection: SQLiteConnection, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.connection = connection
        self.clock = clock
        self.logger = logger
        let own = OwnApprovalEvents()
        self.own = own
        let (stream, wakeup) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wakeup = wakeup
        let pending = self.pending
        self.loop = Task {
            var head: ChainHead?
            for await _ in stream {
                while true {
                    let batch: [Job] = pending.withLockedValue { state in
                        // At most `maxBatch` changes and `maxEvents` events (always at least one
                        // change), so one multi-row INSERT always fits SQLite's bind limit.
                        var n = 0
                        var events = 0
                        while n < min(state.jobs.count, SQLiteWriter.maxBatch) {
                            events += state.jobs[n].audit.count
                            if n > 0 && events > SQLiteWriter.maxEvents { break }
                            n += 1
                        }
                        let batch = Array(state.jobs.prefix(n))
                        state.jobs.removeFirst(n)
                        return batch
                    }
                    if batch.isEmpty { break }
                    let start = ContinuousClock.now
                    await SQLiteWriter.commit(
                        batch, head: &head, connection: connection, clock: clock, own: own, logger: logger)
                    logger.trace(
                        "committed", metadata: ["changes": "\(batch.count)", "duration": "\(ContinuousClock.now - start)"])
                }
            }
        }
    }

    /// Runs `work` and appends `audit` atomically; returns once both are durable.
    func write(audit: [AuditRecord], _ work: Work?) async throws {
        guard let work else { return try await submit(audit: audit, nil) }
        let deciding: DecidingWork = { connection in
            try await work(connection)
            return []
        }
        try await submit(audit: audit, deciding)
    }

    /// Runs `work` in the writer's transaction and appends the records it returns, atomically.
    func write(deciding work: @escaping DecidingWork) async throws {
        try await submit(audit: [], work)
    }

    func submit(audit: [AuditRecord], _ work: DecidingWork?) async throws {
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

    /// The last event of the chain as this writer last saw it.
    struct ChainHead {
        var seq: Int64
        var hash: String
    }

    static func readHead(_ connection: SQLiteConnection) async throws -> ChainHead {
        let rows = try await connection.query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        return ChainHead(
            seq: Int64(rows.first?.column("seq")?.integer ?? 0),
            hash: rows.first?.column("hash")?.string ?? AuditEvent.genesisHash)
    }

    /// An event with its data as stored, serialised when its record was made.
    typealias Sealed = (event: AuditEvent, storedData: String)

    static func seal(_ records: [AuditRecord], after head: inout ChainHead, now: Int64) -> [Sealed] {
        records.map { record in
            head.seq += 1
            let event = AuditEvent.sealed(seq: head.seq, timeMillis: now, record: record, previousHash: head.hash)
            head.hash = event.hash
            return (event, record.storedData)
        }
    }

    /// Commits a batch; `head` is the writer's cached chain head (nil = unknown, re-read it).
    static func commit(
        _ batch: [Job], head: inout ChainHead?, connection: SQLiteConnection, clock: @Sendable () -> Int64,
        own: OwnApprovalEvents, logger: Logger
    ) async {
        let result: Result<[(any Error)?], any Error>
        if batch.allSatisfy({ $0.work == nil }) {
            result = await appendOnly(batch, head: &head, connection: connection, clock: clock, own: own)
        } else {
            result = await transaction(batch, head: &head, connection: connection, clock: clock, own: own)
        }
        switch result {
        case .failure(let error):
            head = nil
            let failure = mapped(error)
            logger.error("write batch failed", metadata: ["error": "\(failure)", "changes": "\(batch.count)"])
            for job in batch { job.continuation.resume(throwing: failure) }
        case .success(let outcomes):
            for (job, outcome) in zip(batch, outcomes) {
                if let outcome {
                    job.continuation.resume(throwing: mapped(outcome))
                } else {
                    job.continuation.resume()
                }
            }
        }
    }

    /// The hot path (token issuance): events only, appended by one multi-row INSERT, which is
    /// atomic and durable on its own — one round trip to SQLite and one fsync for the batch.
    /// Another process may have appended meanwhile: the insert then collides on `seq` (the
    /// primary key), and the batch is re-sealed on the fresh head.
    static func appendOnly(
        _ batch: [Job], head: inout ChainHead?, connection: SQLiteConnection, clock: @Sendable () -> Int64,
        own: OwnApprovalEvents
    ) async -> Result<[(any Error)?], any Error> {
        let records = batch.flatMap(\.audit)
        var attempt = 0
        while true {
            attempt += 1
            do {
                var next: ChainHead
                if let head { next = head } else { next = try await readHead(connection) }
                let events = seal(records, after: &next, now: clock())
                // Remembered before the insert is visible, so a follower never takes it for another's.
                own.remember(events)
                do { try await insert(events, connection: connection) } catch {
                    own.forget(events)
                    throw error
                }
                head = next
                return .success(Array(repeating: nil, count: batch.count))
            } catch let error as SQLiteError where isConstraint(error) {
                head = nil
                if attempt < 4 { continue }
                // Still colliding: other writers keep appending. That is contention, not a
                // duplicate id, so callers answer 503 and may retry.
                return .failure(StoreError.unavailable("the audit chain head kept moving under other writers"))
            } catch {
                return .failure(error)
            }
        }
    }

    /// State changes with their events: one transaction, each change in its own savepoint.
    static func transaction(
        _ batch: [Job], head: inout ChainHead?, connection: SQLiteConnection, clock: @Sendable () -> Int64,
        own: OwnApprovalEvents
    ) async -> Result<[(any Error)?], any Error> {
        var outcomes: [(any Error)?] = Array(repeating: nil, count: batch.count)
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                var next = try await readHead(connection)
                var events: [Sealed] = []
                for (index, job) in batch.enumerated() {
                    var decided: [AuditRecord] = []
                    if let work = job.work {
                        _ = try await connection.query("SAVEPOINT change")
                        do {
                            decided = try await work(connection)
                            _ = try await connection.query("RELEASE change")
                        } catch {
                            _ = try await connection.query("ROLLBACK TO change")
                            _ = try await connection.query("RELEASE change")
                            outcomes[index] = error
                            continue
                        }
                    }
                    events += seal(job.audit + decided, after: &next, now: clock())
                }
                try await insert(events, connection: connection)
                own.remember(events)
                do { _ = try await connection.query("COMMIT") } catch {
                    own.forget(events)
                    throw error
                }
                head = next
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        } catch {
            return .failure(error)
        }
        return .success(outcomes)
    }

    static func isConstraint(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed: true
        default: false
        }
    }

    /// One multi-row INSERT: atomic on its own, and inside a transaction part of it.
    static func insert(_ events: [Sealed], connection: SQLiteConnection) async throws {
        guard !events.isEmpty else { return }
        let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: events.count).joined(separator: ", ")
        var binds: [SQLiteData] = []
        binds.reserveCapacity(events.count * 7)
        for (event, storedData) in events {
            binds.append(.integer(Int(event.seq)))
            binds.append(.integer(Int(event.timeMillis)))
            binds.append(.text(event.type))
            binds.append(.text(event.actor))
            binds.append(.text(storedData))
            binds.append(.text(event.previousHash))
            binds.append(.text(event.hash))
        }
        _ = try await connection.query(
            "INSERT INTO audit_events (seq, time, type, actor, data, prev_hash, hash) VALUES \(placeholders)", binds)
    }

    static func mapped(_ error: any Error) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        return isConstraint(error) ? StoreError.conflict(error.message) : StoreError.unavailable(error.message)
    }
}
