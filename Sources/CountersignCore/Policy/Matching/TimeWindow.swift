import Foundation

/// A recurring window of local wall-clock time, such as 09:00–18:00 on weekdays in
/// Europe/Berlin, for the policy condition `request.time: { between: { from: "09:00",
/// to: "18:00", weekdays: [mon, tue, wed, thu, fri], timezone: Europe/Berlin } }`.
///
/// Times are wall-clock times in a zone of the IANA time zone database (RFC 6557), so a
/// window follows daylight-saving changes: on the day clocks go forward the
/// skipped hour never matches, and on the day they go back the repeated hour matches twice.
public struct TimeWindow: Sendable, Hashable, CustomStringConvertible {
    /// A day of the week, as a policy writes it.
    public enum Weekday: String, Sendable, Hashable, CaseIterable {
        case mon, tue, wed, thu, fri, sat, sun

        /// Parses `mon`…`sun` or `monday`…`sunday`, lowercase only, so that a policy has one
        /// spelling per day and a typo is an error rather than a day silently left out.
        public init?(name: String) {
            if let short = Weekday(rawValue: name) {
                self = short
                return
            }
            switch name {
            case "monday": self = .mon
            case "tuesday": self = .tue
            case "wednesday": self = .wed
            case "thursday": self = .thu
            case "friday": self = .fri
            case "saturday": self = .sat
            case "sunday": self = .sun
            default: return nil
            }
        }

        /// 0 for Monday through 6 for Sunday (ISO 8601 order, less one).
        var index: Int {
            switch self {
            case .mon: 0
            case .tue: 1
            case .wed: 2
            case .thu: 3
            case .fri: 4
            case .sat: 5
            case .sun: 6
            }
        }
    }

    /// Minutes after local midnight at which the window opens, 0–1439.
    private let fromMinute: Int
    /// Minutes after local midnight at which the window closes, 1–1440; below `fromMinute`
    /// when the window spans midnight.
    private let toMinute: Int
    /// Bit `Weekday.index` set for each day a window may start on; all seven when unrestricted.
    private let weekdayMask: UInt8
    /// The name as the policy wrote it, for `description`.
    private let timeZoneName: String
    private let timeZone: TimeZone
    /// UTC needs no zone lookup on the hot path.
    private let isUTC: Bool

    private static let everyDay: UInt8 = 0b111_1111

    /// A window from `from` (inclusive) to `to` (exclusive), local time in `timeZone`.
    ///
    /// - `from` is `HH:MM` from 00:00 to 23:59; `to` may also be 24:00, the end of the day.
    /// - `from` after `to` spans midnight (22:00–06:00); the weekday that counts is then the
    ///   day the window started on, so Friday 22:00–06:00 includes early Saturday.
    /// - `weekdays` `nil` means every day; an empty set is refused because it would match
    ///   nothing, which is never what a policy author means.
    /// - `timeZone` is an IANA name Foundation knows (`Europe/Berlin`), or `UTC`. Offsets such
    ///   as `GMT+5` or `UTC+1` are refused: they ignore daylight saving, and `GMT+5` reads as
    ///   the opposite of the IANA `Etc/GMT+5`.
    public init(
        from: String, to: String, weekdays: Set<Weekday>? = nil, timeZone: String = "UTC"
    ) throws(TimeWindowError) {
        guard let fromMinute = Self.parseTime(from, allowEndOfDay: false) else {
            throw TimeWindowError(
                message: "from \(from.quotedForMessage) is not a time of day: write HH:MM, from 00:00 to 23:59")
        }
        guard let toMinute = Self.parseTime(to, allowEndOfDay: true) else {
            throw TimeWindowError(
                message: "to \(to.quotedForMessage) is not a time of day: write HH:MM, from 00:00 to 24:00")
        }
        guard fromMinute != toMinute else {
            throw TimeWindowError(message: "an empty window: use from 00:00 to 24:00 for the whole day")
        }

        var mask = Self.everyDay
        if let weekdays {
            guard !weekdays.isEmpty else {
                throw TimeWindowError(
                    message: "an empty weekdays list matches no day: leave weekdays out to match every day")
            }
            mask = weekdays.reduce(0) { $0 | 1 << UInt8($1.index) }
        }

        guard let zone = Self.zone(named: timeZone) else {
            throw TimeWindowError(
                message: "unknown time zone \(timeZone.quotedForMessage): use an IANA name such as Europe/Berlin, or UTC")
        }

        self.fromMinute = fromMinute
        self.toMinute = toMinute
        self.weekdayMask = mask
        self.timeZoneName = timeZone
        self.timeZone = zone
        self.isUTC = timeZone == "UTC"
    }

    /// True when the instant (seconds since 1970-01-01T00:00:00Z) falls inside the window:
    /// from ≤ local time < to, on an allowed weekday.
    public func contains(epochSeconds: Int64) -> Bool {
        // secondsFromGMT(for:) answers for the instant, so DST gaps and overlaps need no care here.
        let offset =
            isUTC ? 0 : Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(epochSeconds))))
        // Only reachable within hours of Int64's limits; such an instant is in no window.
        let (local, overflow) = epochSeconds.addingReportingOverflow(offset)
        guard !overflow else { return false }

        // Floor division, so an instant before 1970 lands on the previous day, not the next.
        let secondsPerDay: Int64 = 86_400
        var day = local / secondsPerDay
        var secondOfDay = local % secondsPerDay
        if secondOfDay < 0 {
            day -= 1
            secondOfDay += secondsPerDay
        }
        let minute = Int(secondOfDay / 60)
        // 1970-01-01 was a Thursday, index 3 with Monday as 0.
        var weekday = Int((day + 3) % 7)
        if weekday < 0 { weekday += 7 }

        if fromMinute < toMinute {
            return minute >= fromMinute && minute < toMinute && allows(weekday)
        }
        if minute >= fromMinute { return allows(weekday) }  // opened this evening
        if minute < toMinute { return allows((weekday + 6) % 7) }  // opened yesterday evening
        return false
    }

    /// For example `09:00–18:00 mon–fri Europe/Berlin`, `22:00–06:00 sat,sun UTC`.
    public var description: String {
        var parts = ["\(Self.clock(fromMinute))–\(Self.clock(toMinute))"]
        if weekdayMask != Self.everyDay { parts.append(daysText) }
        parts.append(timeZoneName)
        return parts.joined(separator: " ")
    }

    // MARK: - Helpers

    @inline(__always)
    private func allows(_ weekday: Int) -> Bool { weekdayMask & 1 << UInt8(weekday) != 0 }

    /// Runs of three or more consecutive days as `mon–fri`, the rest listed: `mon,wed,fri`.
    private var daysText: String {
        let days = Weekday.allCases
        var pieces: [String] = []
        var index = 0
        while index < 7 {
            guard allows(index) else {
                index += 1
                continue
            }
            var last = index
            while last + 1 < 7, allows(last + 1) { last += 1 }
            if last - index >= 2 {
                pieces.append("\(days[index].rawValue)–\(days[last].rawValue)")
            } else {
                pieces.append(contentsOf: days[index...last].map(\.rawValue))
            }
            index = last + 1
        }
        return pieces.joined(separator: ",")
    }

    /// Exactly `HH:MM`, two digits each; 24:00 only when `allowEndOfDay`.
    private static func parseTime(_ text: String, allowEndOfDay: Bool) -> Int? {
        let bytes = Array(text.utf8.prefix(6))
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":") else { return nil }
        var digits: [Int] = []
        for position in [0, 1, 3, 4] {
            let byte = bytes[position]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            digits.append(Int(byte - UInt8(ascii: "0")))
        }
        let hour = digits[0] * 10 + digits[1]
        let minute = digits[2] * 10 + digits[3]
        if allowEndOfDay, hour == 24, minute == 0 { return 1440 }
        guard hour <= 23, minute <= 59 else { return nil }
        return hour * 60 + minute
    }

    private static func clock(_ minutes: Int) -> String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    /// The zone for an IANA name, or nil. Foundation also accepts offset forms and answers with
    /// a different identifier for them ("GMT+5" becomes "GMT+0500"); demanding that the name
    /// come back unchanged, and refusing "GMT±"/"UTC±" outright, leaves only real zone names.
    private static func zone(named name: String) -> TimeZone? {
        if name == "UTC" { return TimeZone(secondsFromGMT: 0) }
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "-"),
                UInt8(ascii: "+"):
                continue
            default:
                return nil
            }
        }
        for offsetForm in ["GMT+", "GMT-", "UTC+", "UTC-"] where name.hasPrefix(offsetForm) { return nil }
        guard let zone = TimeZone(identifier: name), zone.identifier == name else { return nil }
        return zone
    }
}

/// Why a ``TimeWindow`` could not be built; the message is written for the author of the policy.
public struct TimeWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence that names the offending value and, where there is one, the fix.
    public let message: String
    /// An error with `message`; public so that callers and tests can compare errors by value.
    public init(message: String) { self.message = message }
    /// The message itself.
    public var description: String { message }
}
