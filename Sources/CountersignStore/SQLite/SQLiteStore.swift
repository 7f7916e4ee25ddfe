import CountersignCore
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded store: one SQLite database in WAL mode. Reads go to a small set of reader
/// connections; every write goes through `SQLiteWriter`, which commits many state changes and
/// their audit events in one transaction (group commit) and answers none before it is durable.
public final class SQLiteStore: Sendable {
    let writer: SQLiteWriter
    let readers: [SQLiteConnection]
    let checkpointer: SQLiteConnection
    let nextReader = Mutex(0)
    let clock: @Sendable () -> Int64
    let logger: Logger

    /// Opens (creating when missing) the database at `path`, checks it and runs pending migrations.
    public static func open(
        path: String, logger: Logger = Logger(label: "countersign.store"),
        clock: @escaping @Sendable () -> Int64 = SQLiteStore.systemMillis
    ) async throws -> SQLiteStore {
        let writerConnection = try await connect(path: path, logger: logger)
        do {
            _ = try await writerConnection.query("PRAGMA journal_mode = WAL")
            // FULL: a commit is on disk before it returns, so no answer precedes durability.
            _ = try await writerConnection.query("PRAGMA synchronous = FULL")
            // Checkpoints run in the background (`checkpoint()`), not inside a request's commit.
            _ = try await writerConnection.query("PRAGMA wal_autocheckpoint = 0")
            let check = try await writerConnection.query("PRAGMA quick_check")
            let verdict = check.first?.column("quick_check")?.string ?? "no answer"
            guard verdict == "ok" else { throw StoreError.corrupt("\(path) failed its integrity check: \(verdict)") }
            try await SQLiteMigrator(connection: writerConnection, clock: clock).migrate(SQLiteMigrations.all)
        } catch let error as SQLiteError where isBusy(error) {
            // Another process holds the write lock longer than the busy timeout: an upgrade
            // migrating a large database (migration 9 rewrites the audit table once), or a bulk write.
            try? await writerConnection.close()
            throw StoreError.unavailable(
                "the database \(path) is busy: another countersign process is writing it (an upgrade migrating a large audit log takes a while); try again")
        } catch let error as SQLiteError {
            try? await writerConnection.close()
            throw StoreError.corrupt("cannot use the database \(path): \(error.message)")
        } catch {
            try? await writerConnection.close()
            throw error
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<2 {
            let reader = try await connect(path: path, logger: logger)
            _ = try await reader.query("PRAGMA query_only = ON")
            readers.append(reader)
        }
        let checkpointer = try await connect(path: path, logger: logger)
        return SQLiteStore(
            writer: SQLiteWriter(connection: writerConnection, clock: clock, logger: logger), readers: readers,
            checkpointer: checkpointer, clock: clock, logger: logger)
    }

    /// Another connection holds the lock past the busy timeout.
    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .locked, .busyTimeout: true
        default: false
        }
    }

    init(
        writer: SQLiteWriter, readers: [SQLiteConnection], checkpointer: SQLiteConnection,
        clock: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.clock = clock
        self.logger = logger
    }

    static func connect(path: String, logger: Logger) async throws -> SQLiteConnection {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch let error as SQLiteError {
            throw StoreError.unavailable("cannot open \(path): \(error.message)")
        }
        // Replace the library's retry-forever busy handler with a bounded wait.
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        return connection
    }

    /// Milliseconds since 1970 from the system clock.
    @Sendable public static func systemMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Runs a read on one of the reader connections, mapping SQLite errors to `StoreError`.
    func read<T>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let index = nextReader.withLock { value in
            value = (value + 1) % readers.count
            return value
        }
        do {
            return try await body(readers[index])
        } catch let error as SQLiteError {
            throw StoreError.unavailable(error.message)
        }
    }

    /// Copies committed WAL frames into the database file without blocking the writer
    /// (a PASSIVE checkpoint), so the WAL stays small; the server calls it every second.
    public func checkpoint() async {
        _ = try? await checkpointer.query("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Stops the writer after the pending work and closes every connection.
    public func close() async {
        await writer.shutdown()
        _ = try? await checkpointer.query("PRAGMA wal_checkpoint(TRUNCATE)")
        try? await checkpointer.close()
        for reader in readers { try? await reader.close() }
    }
}
