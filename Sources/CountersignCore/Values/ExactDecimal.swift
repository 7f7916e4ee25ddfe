/// A decimal number compared exactly, never through binary floating point: `100.0000000000000001`
/// is greater than `100`, `1e2` equals `100`, `-0` equals `0`, `1e309` and 2^63 are ordinary
/// values (HOSTILE-TESTS 13; RFC 8259 §6 leaves precision to the implementation, so we keep all).
/// Policy thresholds such as `context.amount <= 100` compare these, so no number form can round
/// a request into an `allow`.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Longer significands or larger exponents are refused as out of range, bounding the work
    /// and memory a hostile number can cost.
    public static let maxDigits = 64
    public static let maxExponent = 1000

    /// True for values below zero (never for zero).
    public let isNegative: Bool
    /// Significant digits, most significant first, no leading or trailing zeros; empty for zero.
    public let digits: [UInt8]
    /// The value is `digits × 10^exponent`.
    public let exponent: Int

    /// Why a literal is not an acceptable number.
    public enum Failure: Error, Sendable, Equatable {
        case notANumber
        case outOfRange
    }

    /// Parses an RFC 8259 number literal exactly.
    public init(literal: String) throws(Failure) {
        var bytes = Array(literal.utf8)[...]
        guard JSONNumber.isValidLiteral(literal.utf8) else { throw .notANumber }
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var mantissa: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var exponentPart = 0
        while let c = bytes.first {
            if c == UInt8(ascii: ".") {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                bytes = bytes.dropFirst()
                let text = String(decoding: bytes, as: UTF8.self)
                let digitsOnly = text.drop { $0 == "+" || $0 == "-" }
                guard digitsOnly.count <= 6, let e = Int(text) else { throw .outOfRange }
                exponentPart = e
                break
            } else {
                mantissa.append(c - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            }
            bytes = bytes.dropFirst()
        }
        self.init(negative: negative, mantissa: mantissa, exponent: exponentPart - fractionDigits)
        guard digits.count <= Self.maxDigits, abs(exponent) <= Self.maxExponent else { throw .outOfRange }
    }

    /// An exact integer.
    public init(_ value: Int64) {
        let magnitude = value.magnitude
        self.init(negative: value < 0, mantissa: Array(String(magnitude).utf8).map { $0 - UInt8(ascii: "0") }, exponent: 0)
    }

    init(negative: Bool, mantissa: [UInt8], exponent: Int) {
        var first = 0
        while first < mantissa.count && mantissa[first] == 0 { first += 1 }
        var last = mantissa.count
        var exp = exponent
        while last > first && mantissa[last - 1] == 0 {
            last -= 1
            exp += 1
        }
        let digits = Array(mantissa[first..<last])
        self.digits = digits
        self.exponent = digits.isEmpty ? 0 : exp
        self.isNegative = digits.isEmpty ? false : negative
    }

    public var isZero: Bool { digits.isEmpty }

    /// The position of the most significant digit: `digits.count + exponent`.
    var magnitudeOrder: Int { digits.count + exponent }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        if a.isNegative != b.isNegative { return a.isNegative }
        let order = compareMagnitude(a, b)
        return a.isNegative ? order > 0 : order < 0
    }

    /// -1, 0 or 1 comparing absolute values.
    static func compareMagnitude(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.isZero || b.isZero { return a.isZero ? (b.isZero ? 0 : -1) : 1 }
        if a.magnitudeOrder != b.magnitudeOrder { return a.magnitudeOrder < b.magnitudeOrder ? -1 : 1 }
        for i in 0..<max(a.digits.count, b.digits.count) {
            let x = i < a.digits.count ? a.digits[i] : 0
            let y = i < b.digits.count ? b.digits[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// Plain decimal text: `-12.5`, `100`, `1e+309` style avoided (digits and a point only)
    /// unless the exponent is large, then `1E309`.
    public var description: String {
        if isZero { return "0" }
        let sign = isNegative ? "-" : ""
        let text = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
        if exponent >= 0 && exponent <= 20 { return sign + text + String(repeating: "0", count: exponent) }
        if exponent < 0 && -exponent < digits.count {
            let point = text.index(text.startIndex, offsetBy: digits.count + exponent)
            return sign + text[..<point] + "." + text[point...]
        }
        if exponent < 0 && -exponent - digits.count <= 20 {
            return sign + "0." + String(repeating: "0", count: -exponent - digits.count) + text
        }
        return sign + text + "E" + String(exponent)
    }
}

extension ExactDecimal {
    /// The value as an integer, when it is one and fits.
    public var int64Value: Int64? {
        if isZero { return 0 }
        guard exponent >= 0, digits.count + exponent <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for d in digits {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            magnitude = s
        }
        for _ in 0..<exponent {
            let (m, o) = magnitude.multipliedReportingOverflow(by: 10)
            if o { return nil }
            magnitude = m
        }
        if isNegative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}
