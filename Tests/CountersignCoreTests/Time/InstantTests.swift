import CountersignCore
import Testing

/// `Instant`: the one time type, whose unit conversions are the only ones in the code.
@Suite struct InstantTests {
    @Test func secondsAndMillisecondsConvertOneWay() {
        let instant = Instant(secondsSince1970: 1_767_614_400)
        #expect(instant.millisecondsSince1970 == 1_767_614_400_000)
        #expect(Instant(millisecondsSince1970: 1_767_614_400_999).secondsSince1970 == 1_767_614_400)
        #expect(instant.rfc3339 == "2026-01-05T12:00:00Z")
        #expect(Instant(rfc3339: "2026-01-05T12:00:00Z") == instant)
        #expect(Instant(rfc3339: "yesterday") == nil)
        #expect(Instant(rfc3339: "2026-01-05T12:00:00.75Z")?.millisecondsSince1970 == 1_767_614_400_750)
        #expect(Instant(rfc3339: "2026-01-05T13:00:00.0759+01:00")?.millisecondsSince1970 == 1_767_614_400_075)
        #expect(Instant(seconds: 1, nanoseconds: 999_999_999).millisecondsSince1970 == 1_999)
    }

    @Test func secondsRoundDownBeforeTheEpochToo() {
        #expect(Instant(millisecondsSince1970: -1).secondsSince1970 == -1)
        #expect(Instant(millisecondsSince1970: -1000).secondsSince1970 == -1)
        #expect(Instant(millisecondsSince1970: -1001).secondsSince1970 == -2)
        #expect(Instant(millisecondsSince1970: -1).rfc3339 == "1969-12-31T23:59:59Z")
    }

    @Test func durationsAddInMillisecondsWhateverTheirUnit() {
        let t = Instant(millisecondsSince1970: 10_000)
        #expect((t + .seconds(5)).millisecondsSince1970 == 15_000)
        #expect((t + .milliseconds(1)).millisecondsSince1970 == 10_001)
        #expect((t - .seconds(20)).millisecondsSince1970 == -10_000)
        #expect(t + .microseconds(999) == t)
        #expect((t + .seconds(3)) - t == .seconds(3))
        #expect(t - (t + .milliseconds(1)) == .milliseconds(-1))
        #expect(Duration.seconds(90).wholeSeconds == 90 && Duration.milliseconds(1500).wholeMilliseconds == 1500)
    }

    @Test(arguments: [Int64.max, Int64.min, Int64.max / 1000 + 1, Int64.min / 1000 - 1])
    func hostileValuesSaturateInsteadOfTrapping(seconds: Int64) {
        let instant = Instant(secondsSince1970: seconds)
        #expect(instant.millisecondsSince1970 == (seconds < 0 ? .min : .max))
        let moved = instant + .seconds(seconds < 0 ? -10 : 10)
        #expect(moved == instant)
        let gap = instant - Instant(millisecondsSince1970: seconds < 0 ? .max : .min)  // beyond Int64: saturates
        #expect(seconds < 0 ? gap < .zero : gap > .zero)
        _ = instant.rfc3339
    }

    @Test func aManualClockMovesOnlyWhenTold() {
        let clock = ManualClock(.epoch)
        #expect(clock.now() == .epoch)
        clock.advance(by: .seconds(61))
        #expect(clock.now() == Instant(secondsSince1970: 61))
        clock.advance(by: .seconds(-1))
        #expect(clock.now() == Instant(secondsSince1970: 60))
        clock.set(Instant(millisecondsSince1970: 5))
        #expect(clock.now().millisecondsSince1970 == 5)
    }

    @Test func theSystemClockTellsTodaysTime() {
        let now = SystemClock().now()
        #expect(now > Instant(rfc3339: "2024-01-01T00:00:00Z")!)
        #expect(now < Instant(rfc3339: "2200-01-01T00:00:00Z")!)
    }
}
