/// A decimal number compared exactly, never through binary floating point: `100.0000000000000001`
/// is greater than `100`, `1e2` equals `100`, `-0` equals `0`, `1e309` and 2^63 are ordinary
/// values (RFC 8259 §6 leaves precision to the implementation, so we keep all).
/// Policy thresholds such as `context.amount <= 100` compare these, so no number form can round
/// a request into an `allow`.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Longer significands or larger exponents are refused as out of range, bounding the work
    /// and memory a hostile number can cost.
    public static let maxDigits = 64
    /// The largest exponent magnitude accepted, for the same reason as `maxDigits`.
    public static let maxExponent = 1000

    /// True for values below zero (never for zero).
    public let isNegative: Bool
    /// The value is `digits × 10^exponent`.
    public let exponent: Int
    /// How many significant digits there are (0 for zero).
    let digitCount: Int
    /// The significant digits packed four bits each, sixteen per word, most significant first
    /// and left-aligned. Inline and fixed-size, so a value is copied without reference counting
    /// and two magnitudes of the same order compare word by word.
    let packed: (UInt64, UInt64, UInt64, UInt64)

    /// Significant digits, most significant first, no leading or trailing zeros; empty for zero.
    public var digits: [UInt8] {
        (0..<digitCount).map { i in
            let word = i < 16 ? packed.0 : i < 32 ? packed.1 : i < 48 ? packed.2 : packed.3
            return UInt8((word >> UInt64(60 - 4 * (i % 16))) & 0xF)
        }
    }

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
        guard let value = ExactDecimal(negative: negative, mantissa: mantissa, exponent: exponentPart - fractionDigits),
            abs(value.exponent) <= Self.maxExponent
        else { throw .outOfRange }
        self = value
    }

    /// An exact integer.
    public init(_ value: Int64) {
        let magnitude = value.magnitude
        // At most 19 digits, always within maxDigits.
        self.init(negative: value < 0, mantissa: Array(String(magnitude).utf8).map { $0 - UInt8(ascii: "0") }, exponent: 0)!
    }

    /// Normalises (no leading or trailing zeros); nil when more than `maxDigits` remain.
    init?(negative: Bool, mantissa: [UInt8], exponent: Int) {
        var first = 0
        while first < mantissa.count && mantissa[first] == 0 { first += 1 }
        var last = mantissa.count
        var exp = exponent
        while last > first && mantissa[last - 1] == 0 {
            last -= 1
            exp += 1
        }
        guard last - first <= Self.maxDigits else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, d) in mantissa[first..<last].enumerated() {
            words[i / 16] |= UInt64(d) << UInt64(60 - 4 * (i % 16))
        }
        self.digitCount = last - first
        self.packed = (words[0], words[1], words[2], words[3])
        self.exponent = last == first ? 0 : exp
        self.isNegative = last == first ? false : negative
    }

    /// Whether the value is zero, whatever its sign or exponent was written as.
    public var isZero: Bool { digitCount == 0 }

    /// The position of the most significant digit: `digits.count + exponent`.
    var magnitudeOrder: Int { digitCount + exponent }

    /// Numeric order, exact at any number of digits.
    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        if a.isNegative != b.isNegative { return a.isNegative }
        let order = compareMagnitude(a, b)
        return a.isNegative ? order > 0 : order < 0
    }

    /// -1, 0 or 1 comparing absolute values.
    static func compareMagnitude(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.isZero || b.isZero { return a.isZero ? (b.isZero ? 0 : -1) : 1 }
        if a.magnitudeOrder != b.magnitudeOrder { return a.magnitudeOrder < b.magnitudeOrder ? -1 : 1 }
        // Same order of magnitude: left-aligned digits compare as unsigned words.
        if a.packed.0 != b.packed.0 { return a.packed.0 < b.packed.0 ? -1 : 1 }
        if a.packed.1 != b.packed.1 { return a.packed.1 < b.packed.1 ? -1 : 1 }
        if a.packed.2 != b.packed.2 { return a.packed.2 < b.packed.2 ? -1 : 1 }
        if a.packed.3 != b.packed.3 { return a.packed.3 < b.packed.3 ? -1 : 1 }
        return 0
    }

    /// Numeric equality: `1.0` equals `1`.
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        a.isNegative == b.isNegative && a.exponent == b.exponent && a.digitCount == b.digitCount
            && a.packed == b.packed
    }

    /// Hashes the normalised value, so equal numbers hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(isNegative)
        hasher.combine(exponent)
        hasher.combine(packed.0)
        hasher.combine(packed.1)
        hasher.combine(packed.2)
        hasher.combine(packed.3)
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
