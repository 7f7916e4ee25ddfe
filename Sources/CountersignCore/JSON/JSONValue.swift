/// A JSON value whose numbers keep their exact literal, so nothing is rounded on the way
/// through (RFC 8259 §6). Used for audit event data and, later, for authorization details.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal as a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal as a JSON number.
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
    /// A Boolean literal as a JSON `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal as a JSON array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal as a JSON object; a repeated name keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    /// `nil` as JSON `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// The string, when this value is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, when this value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object's members, when this value is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The number as an integer, when it is one exactly.
    public var int64Value: Int64? {
        if case .number(let n) = self { return n.int64Value }
        return nil
    }

    /// A value from an optional string: `null` when absent.
    public static func optional(_ s: String?) -> JSONValue {
        s.map(JSONValue.string) ?? .null
    }
}

/// A JSON number kept as its validated literal (RFC 8259 §6 grammar).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal exactly as written in the document.
    public let literal: String

    /// The number written as the decimal integer.
    public init(_ value: Int64) { self.literal = String(value) }
    /// The number written as the decimal integer.
    public init(_ value: Int) { self.literal = String(value) }

    /// Accepts only RFC 8259 number literals.
    public init?(literal: String) {
        guard JSONNumber.isValidLiteral(literal.utf8) else { return nil }
        self.literal = literal
    }

    init(validatedLiteral: String) { self.literal = validatedLiteral }

    /// The literal exactly as written.
    public var description: String { literal }

    /// The exact integer, when the literal has no fraction or exponent and fits in 64 bits.
    public var int64Value: Int64? { Int64(literal) }

    /// True when the literal is an integer already in its RFC 8785 form (no sign but a leading
    /// `-`, no leading zero, no fraction or exponent, at most 15 digits so below 2^53): checked
    /// without converting or allocating.
    var isCanonicalInteger: Bool {
        var literal = literal
        return literal.withUTF8 { bytes in
            var digits = bytes[...]
            if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            if digits.first == UInt8(ascii: "0") { return digits.count == 1 && bytes.count == 1 }
            return true
        }
    }

    /// The nearest binary double (for canonical serialisation only).
    public var doubleValue: Double? { Double(literal) }

    static func isValidLiteral(_ bytes: String.UTF8View) -> Bool {
        var it = Array(bytes)[...]
        if it.first == UInt8(ascii: "-") { it = it.dropFirst() }
        guard let first = it.first else { return false }
        if first == UInt8(ascii: "0") {
            it = it.dropFirst()
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) {
            while let c = it.first, isDigit(c) { it = it.dropFirst() }
        } else {
            return false
        }
        if it.first == UInt8(ascii: ".") {
            it = it.dropFirst()
            guard let c = it.first, isDigit(c) else { return false }
            while let c = it.first, isDigit(c) { it = it.dropFirst() }
        }
        if let e = it.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            it = it.dropFirst()
            if let s = it.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { it = it.dropFirst() }
            guard let c = it.first, isDigit(c) else { return false }
            while let c = it.first, isDigit(c) { it = it.dropFirst() }
        }
        return it.isEmpty
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
