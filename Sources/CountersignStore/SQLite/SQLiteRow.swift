import CSQLite

/// A value bound to a statement or read from a row, in SQLite's five storage classes.
enum SQLiteValue: Sendable, Equatable {
    case integer(Int)
    case float(Double)
    case text(String)
    case blob([UInt8])
    case null

    /// The value as an integer, converting a number or numeric text; nil for a blob or NULL.
    var integer: Int? {
        switch self {
        case .integer(let integer): integer
        case .float(let double): Int(exactly: double.rounded(.towardZero))
        case .text(let text): Int(text)
        case .blob, .null: nil
        }
    }

    /// The value as text, rendering a number; nil for a blob or NULL.
    var string: String? {
        switch self {
        case .integer(let integer): String(integer)
        case .float(let double): String(double)
        case .text(let text): text
        case .blob, .null: nil
        }
    }
}

/// One result row; its column names are shared by every row of the result.
struct SQLiteRow: Sendable {
    final class Columns: Sendable {
        let names: [String]
        init(names: [String]) { self.names = names }

        func index(of name: String) -> Int? { names.firstIndex(of: name) }
    }

    let columns: Columns
    let values: [SQLiteValue]

    /// The value of the column named `name` (as the query names it), or nil when there is none.
    func column(_ name: String) -> SQLiteValue? {
        columns.index(of: name).map { values[$0] }
    }
}

/// A failed SQLite call: its extended result code and the library's message.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { message }

    /// A use of a connection or store that was closed.
    static let closed = SQLiteError(code: SQLITE_MISUSE, message: "the store is closed")

    /// The primary result code (the low byte of an extended one).
    var primary: Int32 { code & 0xff }

    /// A key is taken: a duplicate primary key, unique value or rowid (a conflict, 409). Other
    /// constraint failures (NOT NULL, CHECK, a foreign key, the audit table's append-only
    /// triggers) are not conflicts.
    var isConstraint: Bool {
        // SQLITE_CONSTRAINT_PRIMARYKEY, _UNIQUE and _ROWID (extended codes; their C macros are
        // expressions Swift does not import).
        code == SQLITE_CONSTRAINT || code == SQLITE_CONSTRAINT | 6 << 8 || code == SQLITE_CONSTRAINT | 8 << 8
            || code == SQLITE_CONSTRAINT | 10 << 8
    }

    /// Another connection held the lock past the busy timeout.
    var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }
}
