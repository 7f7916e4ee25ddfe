import CountersignCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The single writer of the SQLite store, on a thread of its own. Callers submit a state change
/// (statements to run) and the audit records that describe it; the writer takes every change
/// waiting at that moment, runs each in its own savepoint, appends the audit events of those that
/// succeeded to the hash chain, and commits them all at once: one fsync for many requests (group
/// commit). A change whose statements fail is rolled back alone; a failed audit append or commit
/// fails the whole batch, so no change is ever committed without its event, and no caller hears
/// "done" before the commit is durable.
///
/// The thread calls SQLite directly, one blocking call after another, so a batch costs its
/// statements and its fsync and no hand-over between threads; callers wait on a continuation
/// that the thread resumes after the commit.
final class SQLiteWriter: Sendable {
    typealias Work = @Sendable (SQLiteDatabase) throws -> Void
    /// A change that reads what it changes inside the transaction and returns the audit
    /// records its outcome calls for (an approval vote: the request as it is at that moment).
    typealias DecidingWork = @Sendable (SQLiteDatabase) throws -> [AuditRecord]

    struct Job: Sendable {
        let work: DecidingWork?
        let audit: [AuditRecord]
        let continuation: CheckedContinuation<Void, any Error>
        /// The event loop the caller was on: it is resumed there, so its task stays on its
        /// connection's loop instead of landing on any loop and hopping back to write.
        let loop: (any EventLoop)?

        func resume(with result: Result<Void, any Error>) {
            guard let loop else { return continuation.resume(with: result) }
            loop.execute { continuation.resume(with: result) }
        }
    }

    /// The most changes committed in one transaction.
    static let maxBatch = 512

    let queue = JobQueue()
    let clock: any WallClock
    let logger: Logger
    /// The approval events this writer committed, while someone follows the approval feed.
    let thread: NIOThreadPool

    /// Starts the writer's thread; from now on only that thread uses `database`.
    init(database: SQLiteDatabase, clock: any WallClock, logger: Logger) {
        self.clock = clock
        self.logger = logger
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let queue = self.queue
        thread.submit { _ in
            while let batch = queue.next(upTo: SQLiteWriter.maxBatch) {
                let start = ContinuousClock.now
                SQLiteWriter.commit(batch, database: database, clock: clock, logger: logger)
                logger.trace(
                    "committed", metadata: ["changes": "\(batch.count)", "duration": "\(ContinuousClock.now - start)"])
            }
            database.close()
        }
    }

    /// Runs `work` and appends `audit` atomically; returns once both are durable.
    func write(audit: [AuditRecord], _ work: Work?) async throws {
        guard let work else { return try await submit(audit: audit, nil) }
        try await submit(audit: audit) { database in
            try work(database)
            return []
        }
    }

    /// Runs `work` in the writer's transaction and appends the records it returns, atomically.
    func write(deciding work: @escaping DecidingWork) async throws {
        try await submit(audit: [], work)
    }

    func submit(audit: [AuditRecord], _ work: DecidingWork?) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let job = Job(work: work, audit: audit, continuation: continuation, loop: Self.callerLoop())
            if !queue.append(job) {
                continuation.resume(throwing: StoreError.unavailable("the store is shutting down"))
            }
        }
    }

    /// The event loop the caller runs on, when it is one of the shared group's (the loops Swift's
    /// tasks run on in `serve`), which never shut down: a resume sent to a loop that had shut
    /// down would be dropped, and its caller would wait forever.
    static func callerLoop() -> (any EventLoop)? {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
        return sharedLoops.contains { $0 === loop } ? loop : nil
    }

    /// The shared group's loops, looked up the first time a caller is on some event loop.
    static let sharedLoops: [any EventLoop] = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())

    /// Finishes the pending work, closes the connection, then stops the thread.
    func shutdown() async {
        queue.close()
        try? await thread.shutdownGracefully()
    }

    /// The last event of the chain.
    struct ChainHead {
        var seq: Int64
        var hash: String
    }

    static func readHead(_ database: SQLiteDatabase) throws -> ChainHead {
        let rows = try database.query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        return ChainHead(
            seq: Int64(rows.first?.column("seq")?.integer ?? 0),
            hash: rows.first?.column("hash")?.string ?? AuditEvent.genesisHash)
    }

    static func seal(_ records: [AuditRecord], after head: inout ChainHead, now: Instant) -> [SealedRecord] {
        records.map { record in
            head.seq += 1
            let sealed = SealedRecord(seq: head.seq, time: now, record: record, previousHash: head.hash)
            head.hash = sealed.hash
            return sealed
        }
    }

    /// Commits a batch and answers each of its callers.
    static func commit(
        _ batch: [Job], database: SQLiteDatabase, clock: any WallClock, logger: Logger
    ) {
        switch transaction(batch, database: database, clock: clock) {
        case .failure(let error):
            let failure = mapped(error)
            logger.error("write batch failed", metadata: ["error": "\(failure)", "changes": "\(batch.count)"])
            for job in batch { job.resume(with: .failure(failure)) }
        case .success(let outcomes):
            for (job, outcome) in zip(batch, outcomes) {
                job.resume(with: outcome.map { .failure(mapped($0)) } ?? .success(()))
            }
        }
    }

    /// The batch in one transaction, each change in its own savepoint. The chain head is read
    /// under the write lock, so another process appending meanwhile cannot fork the chain.
    static func transaction(
        _ batch: [Job], database: SQLiteDatabase, clock: any WallClock
    ) -> Result<[(any Error)?], any Error> {
        var outcomes: [(any Error)?] = Array(repeating: nil, count: batch.count)
        do {
            try database.query("BEGIN IMMEDIATE")
            do {
                var head = try readHead(database)
                var events: [SealedRecord] = []
                for (index, job) in batch.enumerated() {
                    var decided: [AuditRecord] = []
                    if let work = job.work {
                        try database.query("SAVEPOINT change")
                        do {
                            decided = try work(database)
                            try database.query("RELEASE change")
                        } catch {
                            try database.query("ROLLBACK TO change")
                            try database.query("RELEASE change")
                            outcomes[index] = error
                            continue
                        }
                    }
                    events += seal(job.audit + decided, after: &head, now: clock.now())
                }
                try insert(events, database: database)
                try database.query("COMMIT")
            } catch {
                _ = try? database.query("ROLLBACK")
                throw error
            }
        } catch {
            return .failure(error)
        }
        return .success(outcomes)
    }

    static func insert(_ events: [SealedRecord], database: SQLiteDatabase) throws {
        for event in events {
            try database.query(
                "INSERT INTO audit_events (seq, time, type, actor, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(Int(event.seq)), .instant(event.time), .text(event.type), .text(event.actor),
                    .text(event.storedData), .text(event.previousHash), .text(event.hash),
                ])
        }
    }

    static func mapped(_ error: any Error) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        return error.isConstraint ? StoreError.conflict(error.message) : StoreError.unavailable(error.message)
    }
}

/// The writer's waiting jobs: callers append from any thread, the writer's thread takes them.
final class JobQueue: @unchecked Sendable {
    /// True while there is work (or the queue closed), so the writer sleeps only when idle.
    private let condition = ConditionLock(value: false)
    private var jobs: [SQLiteWriter.Job] = []
    private var closed = false

    /// Queues a job; false once the queue is closed.
    func append(_ job: SQLiteWriter.Job) -> Bool {
        condition.lock()
        guard !closed else {
            condition.unlock()
            return false
        }
        jobs.append(job)
        condition.unlock(withValue: true)
        return true
    }

    /// Waits for jobs and takes up to `limit` of them; nil once closed and drained.
    func next(upTo limit: Int) -> [SQLiteWriter.Job]? {
        condition.lock(whenValue: true)
        if jobs.isEmpty {
            condition.unlock()
            return nil
        }
        let batch: [SQLiteWriter.Job]
        if jobs.count <= limit {
            batch = jobs
            jobs.removeAll(keepingCapacity: true)
        } else {
            batch = Array(jobs.prefix(limit))
            jobs.removeFirst(limit)
        }
        condition.unlock(withValue: !jobs.isEmpty || closed)
        return batch
    }

    /// Refuses new jobs; the writer finishes those waiting, then stops.
    func close() {
        condition.lock()
        closed = true
        condition.unlock(withValue: true)
    }
}
