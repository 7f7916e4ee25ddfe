import CountersignCore
import Foundation
import Testing

/// Seconds since 1970 for a UTC wall-clock time, computed independently of TimeWindow with Calendar.
private func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
    let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    // A date Calendar cannot form becomes an instant no test expects to match.
    return Int64(calendar.date(from: components)?.timeIntervalSince1970 ?? -1e15)
}

@Suite struct TimeWindowTests {
    static let weekdays: Set<TimeWindow.Weekday> = [.mon, .tue, .wed, .thu, .fri]

    // MARK: Business hours across the 2026 Berlin DST changes

    @Test(arguments: [
        // Friday 2026-03-27, CET (UTC+1).
        (utc(2026, 3, 27, 7, 59, 59), false), (utc(2026, 3, 27, 8, 0), true), (utc(2026, 3, 27, 16, 59, 59), true),
        (utc(2026, 3, 27, 17, 0), false),
        // Saturday and Sunday 2026-03-28/29 are outside whatever the hour.
        (utc(2026, 3, 28, 10, 0), false), (utc(2026, 3, 29, 10, 0), false),
        // Monday 2026-03-30, CEST (UTC+2): the same local hours are an hour earlier in UTC.
        (utc(2026, 3, 30, 6, 59, 59), false), (utc(2026, 3, 30, 7, 0), true), (utc(2026, 3, 30, 15, 59, 59), true),
        (utc(2026, 3, 30, 16, 0), false),
        // Friday 2026-10-23, still CEST.
        (utc(2026, 10, 23, 7, 0), true), (utc(2026, 10, 23, 16, 0), false),
        // Monday 2026-10-26, CET again after 2026-10-25.
        (utc(2026, 10, 26, 7, 0), false), (utc(2026, 10, 26, 8, 0), true), (utc(2026, 10, 26, 16, 59, 59), true),
        (utc(2026, 10, 26, 17, 0), false),
    ])
    func businessHoursFollowBerlinDaylightSaving(instant: Int64, expected: Bool) throws {
        let window = try TimeWindow(from: "09:00", to: "18:00", weekdays: Self.weekdays, timeZone: "Europe/Berlin")
        #expect(window.contains(epochSeconds: instant) == expected)
    }

    /// Minutes of the UTC day `[start, start + 86400)` that fall inside `window`.
    func minutesInside(_ window: TimeWindow, from start: Int64) -> Int {
        stride(from: start, to: start + 86_400, by: 60).filter { window.contains(epochSeconds: $0) }.count
    }

    @Test func theHourSkippedOnTheSpringChangeNeverMatches() throws {
        let window = try TimeWindow(from: "02:00", to: "03:00", timeZone: "Europe/Berlin")
        // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        #expect(!window.contains(epochSeconds: utc(2026, 3, 29, 0, 59, 59)))
        #expect(!window.contains(epochSeconds: utc(2026, 3, 29, 1, 0)))
        #expect(minutesInside(window, from: utc(2026, 3, 28, 22, 0)) == 0)
        #expect(minutesInside(window, from: utc(2026, 3, 27, 23, 0)) == 60)
    }

    @Test func theHourRepeatedOnTheAutumnChangeMatchesTwice() throws {
        let window = try TimeWindow(from: "02:00", to: "03:00", timeZone: "Europe/Berlin")
        // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET.
        #expect(!window.contains(epochSeconds: utc(2026, 10, 24, 23, 59, 59)))
        #expect(window.contains(epochSeconds: utc(2026, 10, 25, 0, 0)))  // 02:00 CEST
        #expect(window.contains(epochSeconds: utc(2026, 10, 25, 0, 59, 59)))
        #expect(window.contains(epochSeconds: utc(2026, 10, 25, 1, 0)))  // 02:00 CET
        #expect(window.contains(epochSeconds: utc(2026, 10, 25, 1, 59, 59)))
        #expect(!window.contains(epochSeconds: utc(2026, 10, 25, 2, 0)))
        #expect(minutesInside(window, from: utc(2026, 10, 24, 22, 0)) == 120)
    }

    @Test func aWholeDayWindowIsTwentyThreeOrTwentyFiveHoursOnChangeDays() throws {
        let sunday = try TimeWindow(from: "00:00", to: "24:00", weekdays: [.sun], timeZone: "Europe/Berlin")
        // Local Sunday 2026-03-29 runs from 23:00 UTC Saturday to 22:00 UTC Sunday.
        #expect(!sunday.contains(epochSeconds: utc(2026, 3, 28, 22, 59, 59)))
        #expect(sunday.contains(epochSeconds: utc(2026, 3, 28, 23, 0)))
        #expect(sunday.contains(epochSeconds: utc(2026, 3, 29, 21, 59, 59)))
        #expect(!sunday.contains(epochSeconds: utc(2026, 3, 29, 22, 0)))
        let springDay = stride(from: utc(2026, 3, 28, 0, 0), to: utc(2026, 3, 31, 0, 0), by: 60)
            .filter { sunday.contains(epochSeconds: $0) }.count
        let autumnDay = stride(from: utc(2026, 10, 24, 0, 0), to: utc(2026, 10, 27, 0, 0), by: 60)
            .filter { sunday.contains(epochSeconds: $0) }.count
        #expect(springDay == 23 * 60)
        #expect(autumnDay == 25 * 60)
    }

    // MARK: Midnight, 24:00 and weekdays

    @Test(arguments: [
        (utc(2026, 3, 26, 23, 0), false),  // Thursday night: a Thursday start is not allowed
        (utc(2026, 3, 27, 5, 0), false),  // early Friday belongs to Thursday's window
        (utc(2026, 3, 27, 21, 59, 59), false),
        (utc(2026, 3, 27, 22, 0), true),  // Friday 22:00 opens it
        (utc(2026, 3, 27, 23, 59, 59), true),
        (utc(2026, 3, 28, 0, 0), true),  // past midnight it is Saturday, but the window began Friday
        (utc(2026, 3, 28, 5, 59, 59), true),
        (utc(2026, 3, 28, 6, 0), false),
        (utc(2026, 3, 28, 12, 0), false),
        (utc(2026, 3, 28, 22, 0), false),  // Saturday's own night is not allowed
    ])
    func aWindowSpanningMidnightCountsTheDayItStarted(instant: Int64, expected: Bool) throws {
        let window = try TimeWindow(from: "22:00", to: "06:00", weekdays: [.fri])
        #expect(window.contains(epochSeconds: instant) == expected)
    }

    @Test func aSundayNightWindowRunsIntoMonday() throws {
        let window = try TimeWindow(from: "23:30", to: "00:30", weekdays: [.sun])
        #expect(window.contains(epochSeconds: utc(2026, 3, 29, 23, 30)))  // Sunday
        #expect(window.contains(epochSeconds: utc(2026, 3, 30, 0, 29, 59)))  // Monday
        #expect(!window.contains(epochSeconds: utc(2026, 3, 30, 0, 30)))
        #expect(!window.contains(epochSeconds: utc(2026, 3, 29, 0, 15)))  // Sunday, but Saturday's window
    }

    @Test func toTwentyFourHundredRunsToTheEndOfTheDay() throws {
        let window = try TimeWindow(from: "18:00", to: "24:00", weekdays: [.fri])
        #expect(!window.contains(epochSeconds: utc(2026, 3, 27, 17, 59, 59)))
        #expect(window.contains(epochSeconds: utc(2026, 3, 27, 18, 0)))
        #expect(window.contains(epochSeconds: utc(2026, 3, 27, 23, 59, 59)))
        #expect(!window.contains(epochSeconds: utc(2026, 3, 28, 0, 0)))
    }

    @Test(arguments: TimeWindow.Weekday.allCases)
    func weekdaysFilterWholeDays(day: TimeWindow.Weekday) throws {
        let window = try TimeWindow(from: "00:00", to: "24:00", weekdays: [day])
        // 2026-03-23 was a Monday; allCases runs Monday to Sunday.
        for (offset, candidate) in TimeWindow.Weekday.allCases.enumerated() {
            let noon = utc(2026, 3, 23 + offset, 12, 0)
            #expect(window.contains(epochSeconds: noon) == (candidate == day), "\(candidate)")
        }
    }

    @Test func noWeekdaysMeansEveryDayAndEqualsAllSeven() throws {
        let unrestricted = try TimeWindow(from: "00:00", to: "24:00")
        let allSeven = try TimeWindow(from: "00:00", to: "24:00", weekdays: Set(TimeWindow.Weekday.allCases))
        #expect(unrestricted == allSeven)
        for day in 0..<7 { #expect(unrestricted.contains(epochSeconds: utc(2026, 3, 23 + day, 0, 0))) }
    }

    // MARK: Instants before 1970 and at the limits

    @Test func instantsBefore1970UseThePreviousDay() throws {
        // -1 is 1969-12-31 23:59:59 UTC, a Wednesday.
        let lateWednesday = try TimeWindow(from: "23:00", to: "24:00", weekdays: [.wed])
        #expect(lateWednesday.contains(epochSeconds: -1))
        #expect(lateWednesday.contains(epochSeconds: -3600))
        #expect(!lateWednesday.contains(epochSeconds: -3601))
        #expect(!lateWednesday.contains(epochSeconds: 0))
        let earlyThursday = try TimeWindow(from: "00:00", to: "00:01", weekdays: [.thu])
        #expect(earlyThursday.contains(epochSeconds: 0))
        #expect(!earlyThursday.contains(epochSeconds: -1))
        #expect(!earlyThursday.contains(epochSeconds: -86_400))  // Wednesday 00:00
        #expect(earlyThursday.contains(epochSeconds: -7 * 86_400 + 59))  // a week earlier
        // 1969-12-31 23:30 UTC is 00:30 on Thursday in Berlin (CET).
        let berlin = try TimeWindow(from: "00:00", to: "01:00", weekdays: [.thu], timeZone: "Europe/Berlin")
        #expect(berlin.contains(epochSeconds: -1800))
    }

    @Test(arguments: [Int64.min, Int64.min + 1, Int64.max, Int64.max - 1, -62_135_596_800, 253_402_300_799])
    func extremeInstantsNeverCrash(instant: Int64) throws {
        for zone in ["UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"] {
            let window = try TimeWindow(from: "22:00", to: "06:00", weekdays: [.mon], timeZone: zone)
            _ = window.contains(epochSeconds: instant)
        }
    }

    /// Checks the integer day and minute arithmetic against Calendar for many instants and
    /// zones with odd offsets (30 and 45 minutes, half-hour DST, across the date line).
    @Test(arguments: [
        "UTC", "Europe/Berlin", "America/New_York", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu",
        "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia", "America/Sao_Paulo",
    ])
    func agreesWithCalendarOnDayAndMinute(zone: String) throws {
        let timeZone = try #require(zone == "UTC" ? TimeZone(secondsFromGMT: 0) : TimeZone(identifier: zone))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // 1901 to 2099, both sides of 1970.
            let instant = Int64(state >> 33) % 6_250_000_000 - 2_170_000_000
            let parts = calendar.dateComponents([.weekday, .hour, .minute], from: Date(timeIntervalSince1970: Double(instant)))
            let hour = try #require(parts.hour)
            let minute = try #require(parts.minute)
            // Calendar counts Sunday as 1; allCases starts on Monday.
            let weekday = TimeWindow.Weekday.allCases[(try #require(parts.weekday) + 5) % 7]
            let start = String(format: "%02d:%02d", hour, minute)
            let end =
                minute == 59 ? (hour == 23 ? "24:00" : String(format: "%02d:00", hour + 1)) : String(format: "%02d:%02d", hour, minute + 1)
            let exact = try TimeWindow(from: start, to: end, weekdays: [weekday], timeZone: zone)
            #expect(exact.contains(epochSeconds: instant), "\(instant) \(start) \(weekday)")
            let otherDays = Set(TimeWindow.Weekday.allCases).subtracting([weekday])
            let wrongDay = try TimeWindow(from: start, to: end, weekdays: otherDays, timeZone: zone)
            #expect(!wrongDay.contains(epochSeconds: instant), "\(instant) \(start) \(weekday)")
        }
    }

    // MARK: Parsing

    @Test(arguments: [
        ("9:00", "18:00", #"from "9:00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("24:00", "06:00", #"from "24:00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("23:60", "06:00", #"from "23:60" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("-1:00", "06:00", #"from "-1:00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("09:00:00", "18:00", #"from "09:00:00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("", "18:00", #"from "" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("09.00", "18:00", #"from "09.00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("０9:00", "18:00", #"from "０9:00" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("09:00\n", "18:00", #"from "09:00\n" is not a time of day: write HH:MM, from 00:00 to 23:59"#),
        ("09:00", "24:01", #"to "24:01" is not a time of day: write HH:MM, from 00:00 to 24:00"#),
        ("09:00", "25:00", #"to "25:00" is not a time of day: write HH:MM, from 00:00 to 24:00"#),
        ("09:00", "6pm", #"to "6pm" is not a time of day: write HH:MM, from 00:00 to 24:00"#),
        ("09:00", " 18:00", #"to " 18:00" is not a time of day: write HH:MM, from 00:00 to 24:00"#),
        ("09:00", "09:00", "an empty window: use from 00:00 to 24:00 for the whole day"),
        ("00:00", "00:00", "an empty window: use from 00:00 to 24:00 for the whole day"),
    ])
    func refusesBadTimesWithAnExactMessage(from: String, to: String, message: String) {
        #expect(throws: TimeWindowError(message: message)) { try TimeWindow(from: from, to: to) }
    }

    @Test func refusesAnEmptyWeekdaysList() {
        #expect(throws: TimeWindowError(message: "an empty weekdays list matches no day: leave weekdays out to match every day")) {
            try TimeWindow(from: "09:00", to: "18:00", weekdays: [])
        }
    }

    @Test(arguments: [
        "Europe/Berln", "europe/berlin", "Mars/Olympus_Mons", "", "GMT+5", "UTC+1", "GMT-0530", "CEST", "Local",
        "../../etc/passwd", "/etc/localtime", "Europe/Berlin ", "Europe/Berlin\n", "utc",
    ])
    func refusesUnknownTimeZonesNamingThem(zone: String) {
        let message = "unknown time zone \(String(reflecting: zone)): use an IANA name such as Europe/Berlin, or UTC"
        #expect(throws: TimeWindowError(message: message)) { try TimeWindow(from: "09:00", to: "18:00", timeZone: zone) }
    }

    @Test func cutsALongTimeZoneNameShortInTheMessage() {
        let zone = String(repeating: "x", count: 10_000)
        let message = "unknown time zone \"\(String(repeating: "x", count: 64))…\": use an IANA name such as Europe/Berlin, or UTC"
        #expect(throws: TimeWindowError(message: message)) { try TimeWindow(from: "09:00", to: "18:00", timeZone: zone) }
    }

    @Test(arguments: ["UTC", "GMT", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Eastern", "Etc/UTC"])
    func acceptsIANANames(zone: String) throws {
        _ = try TimeWindow(from: "09:00", to: "18:00", timeZone: zone)
    }

    @Test func startsAtTheMinuteInclusiveAndEndsExclusive() throws {
        let window = try TimeWindow(from: "00:00", to: "00:01")
        #expect(window.contains(epochSeconds: 0))
        #expect(window.contains(epochSeconds: 59))
        #expect(!window.contains(epochSeconds: 60))
        let lastMinute = try TimeWindow(from: "23:59", to: "24:00")
        #expect(lastMinute.contains(epochSeconds: 86_340))
        #expect(!lastMinute.contains(epochSeconds: 86_339))
    }

    @Test(arguments: [
        ("mon", TimeWindow.Weekday.mon), ("monday", .mon), ("tue", .tue), ("tuesday", .tue), ("wed", .wed),
        ("wednesday", .wed), ("thu", .thu), ("thursday", .thu), ("fri", .fri), ("friday", .fri), ("sat", .sat),
        ("saturday", .sat), ("sun", .sun), ("sunday", .sun),
    ])
    func parsesShortAndFullWeekdayNames(name: String, day: TimeWindow.Weekday) {
        #expect(TimeWindow.Weekday(name: name) == day)
    }

    @Test(arguments: ["Mon", "MONDAY", "Monday", "mo", "mond", "tues", "thurs", "", " mon", "mon ", "lundi", "0", "1"])
    func refusesOtherWeekdaySpellings(name: String) {
        #expect(TimeWindow.Weekday(name: name) == nil)
    }

    @Test(
        arguments: [
            (TimeWindowTests.weekdays, "09:00", "18:00", "Europe/Berlin", "09:00–18:00 mon–fri Europe/Berlin"),
            (nil, "00:00", "24:00", "UTC", "00:00–24:00 UTC"),
            ([.sat, .sun], "22:00", "06:00", "UTC", "22:00–06:00 sat,sun UTC"),
            ([.mon, .wed, .fri], "08:05", "09:10", "Asia/Kolkata", "08:05–09:10 mon,wed,fri Asia/Kolkata"),
            ([.mon, .tue, .wed, .fri, .sat, .sun], "01:00", "02:00", "UTC", "01:00–02:00 mon–wed,fri–sun UTC"),
        ] as [(Set<TimeWindow.Weekday>?, String, String, String, String)])
    func describesItselfReadably(days: Set<TimeWindow.Weekday>?, from: String, to: String, zone: String, text: String) throws {
        #expect(try TimeWindow(from: from, to: to, weekdays: days, timeZone: zone).description == text)
    }
}
