import CountersignCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// The embedded store: one SQLite database in WAL mode. Reads run on the caller's thread on a
/// pooled read-only connection (`SQLiteReaders`); every write goes through `SQLiteWriter`, which
/// commits many state changes and their audit events in one transaction (group commit) on a
/// thread of its own and answers none before it is durable.
public final class SQLiteStore: Sendable {
    let writer: SQLiteWriter
    let readers: SQLiteReaders
    let checkpointer: SQLiteDatabase
    /// One checkpoint at a time on the checkpointer's connection.
    let checkpointing = NIOLock()
    let clock: any WallClock
    let logger: Logger
    /// This store instance (this process) as the origin of the change-feed rows it writes.
    let origin = "store-" + UUID().uuidString

    /// Opens (creating when missing) the database at `path`, checks it and runs pending migrations.
    public static func open(
        path: String, logger: Logger = Logger(label: "countersign.store"),
        clock: any WallClock = SystemClock()
    ) async throws -> SQLiteStore {
        // Opening checks the whole file and may migrate it: off the caller's (event loop) thread.
        try await NIOThreadPool.singleton.runIfActive { try openNow(path: path, logger: logger, clock: clock) }
    }

    static func openNow(path: String, logger: Logger, clock: any WallClock) throws -> SQLiteStore {
        let writerDatabase = try connect(path: path)
        do {
            try writerDatabase.execute("PRAGMA journal_mode = WAL")
            // FULL: a commit is on disk before it returns, so no answer precedes durability.
            try writerDatabase.execute("PRAGMA synchronous = FULL")
            // Checkpoints run in the background (`checkpoint()`), not inside a request's commit.
            try writerDatabase.execute("PRAGMA wal_autocheckpoint = 0")
            try writerDatabase.execute("PRAGMA foreign_keys = ON")
            let check = try writerDatabase.query("PRAGMA quick_check")
            let verdict = check.first?.column("quick_check")?.string ?? "no answer"
            guard verdict == "ok" else { throw StoreError.corrupt("\(path) failed its integrity check: \(verdict)") }
            try SQLiteMigrator(database: writerDatabase, clock: clock).migrate(SQLiteMigrations.all)
        } catch let error as SQLiteError where error.isBusy {
            // Another process holds the write lock longer than the busy timeout: an upgrade
            // migrating a large database (migration 9 rewrites the audit table once), or a bulk write.
            writerDatabase.close()
            throw StoreError.unavailable(
                "the database \(path) is busy: another countersign process is writing it (an upgrade migrating a large audit log takes a while); try again"
            )
        } catch let error as SQLiteError {
            writerDatabase.close()
            throw StoreError.corrupt("cannot use the database \(path): \(error.message)")
        } catch {
            writerDatabase.close()
            throw error
        }
        let checkpointer = try connect(path: path)
        return SQLiteStore(
            writer: SQLiteWriter(database: writerDatabase, clock: clock, logger: logger),
            readers: SQLiteReaders(path: path), checkpointer: checkpointer, clock: clock, logger: logger)
    }

    init(
        writer: SQLiteWriter, readers: SQLiteReaders, checkpointer: SQLiteDatabase,
        clock: any WallClock, logger: Logger
    ) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.clock = clock
        self.logger = logger
    }

    static func connect(path: String) throws -> SQLiteDatabase {
        do {
            return try SQLiteDatabase(path: path)
        } catch {
            throw StoreError.unavailable("cannot open \(path): \(error.message)")
        }
    }

    /// Runs a short read (a lookup by key) on a pooled reader connection on the caller's thread,
    /// mapping SQLite errors to `StoreError`.
    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        do {
            return try readers.read(body)
        } catch let error as SQLiteError {
            throw StoreError.unavailable(error.message)
        }
    }

    /// A read that may return many rows (a listing, a page of the audit log): on a pool thread,
    /// so a long one never holds up an event loop's other connections.
    func scan<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.read(body) }
    }

    /// Copies committed WAL frames into the database file without blocking the writer
    /// (a PASSIVE checkpoint), so the WAL stays small; the server calls it every second. It
    /// syncs the database file, so it runs on a pool thread, not the caller's.
    public func checkpoint() async {
        let checkpointer = self.checkpointer
        let checkpointing = self.checkpointing
        _ = try? await NIOThreadPool.singleton.runIfActive {
            try checkpointing.withLock { try checkpointer.query("PRAGMA wal_checkpoint(PASSIVE)") }
        }
    }

    /// Stops the writer after the pending work and closes every connection.
    public func close() async {
        await writer.shutdown()
        let checkpointer = self.checkpointer
        let checkpointing = self.checkpointing
        _ = try? await NIOThreadPool.singleton.runIfActive {
            try checkpointing.withLock {
                defer { checkpointer.close() }
                try checkpointer.query("PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        readers.close()
    }
}
