import CountersignCore
import Testing

/// No number form rounds across a threshold.
@Suite struct ExactDecimalTests {
    func d(_ s: String) throws -> ExactDecimal { try ExactDecimal(literal: s) }

    @Test(arguments: [
        ("100.0000000000000001", ">"), ("1e2", "="), ("100", "="), ("100.00", "="), ("1E+2", "="),
        ("99.99999999999999999999", "<"), ("1e309", ">"), ("9223372036854775808", ">"), ("-0", "<"),
        ("0.1e3", "="), ("10000e-2", "="), ("-100", "<"), ("100.000000000000000000000000001", ">"),
    ])
    func comparesExactlyWithTheHundredThreshold(literal: String, relation: String) throws {
        let value = try d(literal)
        let hundred = ExactDecimal(100)
        switch relation {
        case ">": #expect(value > hundred)
        case "<": #expect(value < hundred)
        default: #expect(value == hundred)
        }
    }

    @Test func negativeZeroIsZero() throws {
        #expect(try d("-0") == ExactDecimal(0))
        #expect(try d("-0.000") == d("0"))
        #expect(!(try d("-0")).isNegative)
    }

    @Test func negativesOrderByMagnitudeReversed() throws {
        #expect(try d("-100.5") < d("-100"))
        #expect(try d("-1e3") < d("-999"))
        #expect(try d("-0.001") > d("-0.01"))
        #expect(try d("-1") < d("0"))
    }

    @Test(arguments: ["\"100\"", "1.", ".5", "0x10", "NaN", "Infinity", "1e", "--1", "+1", "", "01"])
    func refusesWhatIsNotAJSONNumber(literal: String) {
        #expect(throws: ExactDecimal.Failure.notANumber) { try ExactDecimal(literal: literal) }
    }

    @Test(arguments: ["1e1001", "1e-1001", "1e9999999999999", String(repeating: "9", count: 65)])
    func boundsHostileSizes(literal: String) {
        #expect(throws: ExactDecimal.Failure.outOfRange) { try ExactDecimal(literal: literal) }
    }

    @Test(arguments: [("12.50", "12.5"), ("1e2", "100"), ("-0.05", "-0.05"), ("1e309", "1E309"), ("0", "0")])
    func printsPlainly(literal: String, text: String) throws {
        #expect(try d(literal).description == text)
    }
}
