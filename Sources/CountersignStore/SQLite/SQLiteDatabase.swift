import CSQLite

/// One SQLite connection, called synchronously: by the writer's own thread, or by one reader at
/// a time (`SQLiteReaders` hands it out). Statements are prepared once per connection and kept,
/// so a hot query costs a reset, its binds and its steps, and no thread hop.
///
/// The SQLite library is the system's (`CSQLite`, Debian's libsqlite3): one copy in the process,
/// so its POSIX locks stay consistent across every connection to a file.
final class SQLiteDatabase: @unchecked Sendable {
    /// The `sqlite3*` handle; nil once closed.
    private var handle: OpaquePointer?
    /// Prepared statements by their SQL text.
    private var statements: [String: OpaquePointer] = [:]
    /// The most statements kept; a connection asked for more (generated SQL) prepares the rest each time.
    static let statementCacheLimit = 256

    /// SQLite is configured once, before any connection: no memory statistics (a global mutex
    /// on every allocation, which nothing here reads).
    private static let initialized: Int32 = {
        _ = csqlite_disable_memory_statistics()
        return sqlite3_initialize()
    }()

    /// Opens (creating when missing) the database at `path` with a bounded busy wait.
    init(path: String, busyTimeoutMillis: Int32 = 5000) throws(SQLiteError) {
        _ = Self.initialized
        var handle: OpaquePointer?
        // NOMUTEX: a connection is only ever used by one thread at a time (see the type's comment).
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: status, message: message)
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, busyTimeoutMillis)
    }

    deinit { close() }

    /// Finalizes every kept statement and closes the connection.
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs SQL once without keeping its statement (pragmas, migrations); it may hold several statements.
    func execute(_ sql: String) throws(SQLiteError) {
        guard let handle else { throw SQLiteError.closed }
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status) }
    }

    /// Runs one statement and returns its rows. `keep: false` for SQL generated per call (an
    /// `IN` list of as many `?` as values), which would otherwise take a kept statement's place.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteValue] = [], keep: Bool = true) throws(SQLiteError) -> [SQLiteRow] {
        let (statement, kept) = try prepare(sql, keep: keep)
        defer {
            if kept {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        try bind(binds, to: statement)
        var rows: [SQLiteRow] = []
        var columns: SQLiteRow.Columns?
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw error(status) }
            let names = columns ?? Self.columns(of: statement)
            columns = names
            var values: [SQLiteValue] = []
            values.reserveCapacity(names.names.count)
            for index in 0..<Int32(names.names.count) { values.append(Self.value(of: statement, at: index)) }
            rows.append(SQLiteRow(columns: names, values: values))
        }
    }

    private func prepare(_ sql: String, keep wanted: Bool) throws(SQLiteError) -> (OpaquePointer, kept: Bool) {
        if let statement = statements[sql] { return (statement, true) }
        guard let handle else { throw SQLiteError.closed }
        var statement: OpaquePointer?
        let keep = wanted && statements.count < Self.statementCacheLimit
        let flags = keep ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let status = sqlite3_prepare_v3(handle, sql, -1, flags, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status) }
        if keep { statements[sql] = statement }
        return (statement, keep)
    }

    private func bind(_ binds: [SQLiteValue], to statement: OpaquePointer) throws(SQLiteError) {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let integer):
                status = sqlite3_bind_int64(statement, index, Int64(integer))
            case .float(let double):
                status = sqlite3_bind_double(statement, index, double)
            case .text(let text):
                var text = text
                status = text.withUTF8 { bytes in
                    // A nil pointer would bind NULL: an empty value gets a real (empty) one.
                    guard let base = bytes.baseAddress else {
                        return sqlite3_bind_text64(statement, index, "", 0, Self.transient, UInt8(SQLITE_UTF8))
                    }
                    return sqlite3_bind_text64(
                        statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), UInt64(bytes.count),
                        Self.transient, UInt8(SQLITE_UTF8))
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes { raw in
                    // As for text: SQLite binds a zero-length blob only when given a pointer.
                    guard let base = raw.baseAddress else { return sqlite3_bind_zeroblob(statement, index, 0) }
                    return sqlite3_bind_blob64(statement, index, base, UInt64(raw.count), Self.transient)
                }
            case .null:
                status = sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw error(status) }
        }
    }

    private static func columns(of statement: OpaquePointer) -> SQLiteRow.Columns {
        let count = sqlite3_column_count(statement)
        return SQLiteRow.Columns(
            names: (0..<count).map { sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? "" })
    }

    private static func value(of statement: OpaquePointer, at index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT:
            return .float(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let blob = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }

    private func error(_ status: Int32) -> SQLiteError {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "SQLite error \(status)"
        return SQLiteError(code: status, message: message)
    }

    /// SQLite copies a bound value before the bind call returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
