import CountersignCore

extension SQLiteValue {
    /// A time as every time column stores it: milliseconds since 1970.
    static func instant(_ instant: Instant) -> SQLiteValue {
        .integer(Int(instant.millisecondsSince1970))
    }

    /// A time, or NULL.
    static func instant(_ instant: Instant?) -> SQLiteValue {
        instant.map { .integer(Int($0.millisecondsSince1970)) } ?? .null
    }

    /// The column read as a time; nil for NULL or a value that is not a number.
    var instant: Instant? {
        integer.map { Instant(millisecondsSince1970: Int64($0)) }
    }
}
