import Synchronization

/// Read-only connections, used on the caller's thread: a read takes an idle connection (opening
/// one when none is idle), runs its statements and gives it back. WAL readers never wait for the
/// writer, and the hot reads are one indexed row, so a read needs no thread hop.
final class SQLiteReaders: Sendable {
    struct Pool {
        var idle: [SQLiteDatabase] = []
        var closed = false
    }

    let path: String
    let pool = Mutex(Pool())
    /// The most idle connections kept; more concurrent readers open and close their own.
    static let keep = 8

    init(path: String) { self.path = path }

    static func open(path: String) throws(SQLiteError) -> SQLiteDatabase {
        // A short busy wait: a lookup runs on an event loop, and WAL readers wait only in rare
        // moments (recovery after a crash), so past this it is answered 503 rather than stall the loop.
        let database = try SQLiteDatabase(path: path, busyTimeoutMillis: 250)
        try database.execute("PRAGMA query_only = ON")
        return database
    }

    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let taken = try pool.withLock { pool throws(SQLiteError) -> SQLiteDatabase? in
            guard !pool.closed else { throw SQLiteError.closed }
            return pool.idle.popLast()
        }
        let database = try taken ?? Self.open(path: path)
        defer {
            let kept = pool.withLock { pool in
                guard !pool.closed, pool.idle.count < Self.keep else { return false }
                pool.idle.append(database)
                return true
            }
            if !kept { database.close() }
        }
        return try body(database)
    }

    /// Closes the idle connections; later reads fail.
    func close() {
        let idle = pool.withLock { pool in
            pool.closed = true
            defer { pool.idle.removeAll() }
            return pool.idle
        }
        for database in idle { database.close() }
    }
}
