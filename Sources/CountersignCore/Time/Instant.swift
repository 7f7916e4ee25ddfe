/// A moment in time: milliseconds since 1970-01-01T00:00:00Z (UTC, leap seconds ignored, as
/// POSIX time). Every time the server stores, compares or sends goes through this type, and the
/// conversions between seconds and milliseconds live here and nowhere else: a time is never a
/// bare number whose unit the reader must guess.
///
/// Arithmetic saturates at the ends of the range instead of trapping, so a hostile `exp` of
/// 2^63 seconds in a token reads as "the far future", never as a crash or a wrapped past.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970 (the unit of every stored time).
    public let millisecondsSince1970: Int64

    /// The instant `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.millisecondsSince1970 = milliseconds
    }

    /// The instant `seconds` after 1970 (a JWT NumericDate, RFC 7519 §2; an RFC 3339 time).
    public init(secondsSince1970 seconds: Int64) {
        self.millisecondsSince1970 = Self.saturating(seconds, times: Self.millisecondsPerSecond)
    }

    /// The instant of a POSIX `timespec` (seconds and nanoseconds since 1970).
    public init(seconds: Int64, nanoseconds: Int64) {
        let (sum, overflow) = Self.saturating(seconds, times: Self.millisecondsPerSecond)
            .addingReportingOverflow(nanoseconds / 1_000_000)
        self.millisecondsSince1970 = overflow ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole seconds since 1970, rounded down (a JWT NumericDate, RFC 7519 §2).
    public var secondsSince1970: Int64 {
        let (quotient, remainder) = millisecondsSince1970.quotientAndRemainder(dividingBy: Self.millisecondsPerSecond)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// 1970-01-01T00:00:00Z.
    public static let epoch = Instant(millisecondsSince1970: 0)

    /// `2026-11-25T10:00:00Z` (RFC 3339 §5.6, whole seconds).
    public var rfc3339: String { RFC3339.format(secondsSince1970) }

    /// The instant an RFC 3339 date-time names (to the millisecond), or nil when the text is not one.
    public init?(rfc3339 text: String) {
        guard let (seconds, milliseconds) = RFC3339.parts(text) else { return nil }
        self.init(seconds: seconds, nanoseconds: milliseconds * 1_000_000)
    }

    /// The instant in RFC 3339 text, as messages show it.
    public var description: String { rfc3339 }

    /// Earlier instants sort first.
    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// The instant `duration` later (earlier when negative); sub-millisecond parts are dropped.
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        let (sum, overflow) = lhs.millisecondsSince1970.addingReportingOverflow(milliseconds(rhs))
        guard !overflow else { return Instant(millisecondsSince1970: rhs < .zero ? .min : .max) }
        return Instant(millisecondsSince1970: sum)
    }

    /// The instant `duration` earlier.
    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        lhs + (.zero - rhs)
    }

    /// How long from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        let (difference, overflow) = lhs.millisecondsSince1970.subtractingReportingOverflow(rhs.millisecondsSince1970)
        guard !overflow else { return lhs < rhs ? .milliseconds(Int64.min) : .milliseconds(Int64.max) }
        return .milliseconds(difference)
    }

    static let millisecondsPerSecond: Int64 = 1000

    /// A duration in whole milliseconds, saturating.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let fromSeconds = saturating(seconds, times: millisecondsPerSecond)
        let (sum, overflow) = fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : sum
    }

    static func saturating(_ value: Int64, times factor: Int64) -> Int64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? (value < 0 ? .min : .max) : product
    }
}

extension Duration {
    /// Whole seconds, rounded toward zero (a TTL or `expires_in` as the wire gives it).
    public var wholeSeconds: Int64 { components.seconds }

    /// Whole milliseconds, saturating.
    public var wholeMilliseconds: Int64 { Instant.milliseconds(self) }
}

extension Instant: Codable {
    /// An instant is written as its milliseconds since 1970, the form every stored time has.
    public init(from decoder: any Decoder) throws {
        self.init(millisecondsSince1970: try decoder.singleValueContainer().decode(Int64.self))
    }

    /// Writes the milliseconds since 1970, as `init(from:)` reads them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSince1970)
    }
}
