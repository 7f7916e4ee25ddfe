import Foundation

/// A value a policy condition compares: a context field, a subject claim, a literal in the policy.
/// Numbers are exact decimals, so no number form can round a request into an `allow`.
///
/// Strings compare by their exact bytes, never by Unicode canonical equivalence: "josé" written
/// precomposed and decomposed are two identifiers, as they are to `glob` and
/// `regex`.
public enum PolicyValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(ExactDecimal)
    case string(String)
    case list([PolicyValue])
    case object([String: PolicyValue])

    /// The kind a value has, as named in policies and error messages.
    public enum Kind: String, Sendable, Hashable, CustomStringConvertible {
        case null, boolean, number, string, list, object
        /// The kind's name, as error messages show it.
        public var description: String { rawValue }
    }

    /// This value's kind.
    public var kind: Kind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .number: .number
        case .string: .string
        case .list: .list
        case .object: .object
        }
    }
}

/// A JSON value that cannot become a policy value.
public struct PolicyValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the offending member, such as `amount` or `payee.iban`.
    public let path: String
    /// What is wrong with the value.
    public let message: String
    /// The error as the answer shows it: `path: message`.
    public var description: String { "\(path): \(message)" }
}

extension PolicyValue {
    /// Converts JSON exactly: a number literal becomes an `ExactDecimal` or is refused as out
    /// of range, never rounded.
    public init(json: JSONValue, path: String = "") throws(PolicyValueError) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(s)
        case .number(let n):
            do { self = .number(try ExactDecimal(literal: n.literal)) } catch {
                throw PolicyValueError(
                    path: path,
                    message:
                        "the number \(n.literal.prefix(40)) is out of range (at most \(ExactDecimal.maxDigits) significant digits and an exponent within ±\(ExactDecimal.maxExponent))"
                )
            }
        case .array(let items):
            var out: [PolicyValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try PolicyValue(json: item, path: "\(path)[\(i)]")) }
            self = .list(out)
        case .object(let members):
            var out: [String: PolicyValue] = [:]
            out.reserveCapacity(members.count)
            for (k, v) in members { out[k] = try PolicyValue(json: v, path: path.isEmpty ? k : "\(path).\(k)") }
            self = .object(out)
        }
    }

    /// The value as JSON (numbers in their plain exact decimal text).
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .string(let s): .string(s)
        case .number(let d): .number(JSONNumber(literal: d.description) ?? JSONNumber(0))
        case .list(let items): .array(items.map(\.json))
        case .object(let members): .object(members.mapValues(\.json))
        }
    }

    /// Compact JSON text for explanations ("value seen"), cut at `limit` characters.
    public func rendered(limit: Int = 80) -> String {
        let text = CanonicalJSON.exactString(json)
        return text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}

extension PolicyValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    /// A string literal as a policy string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal as an exact number.
    public init(integerLiteral value: Int64) { self = .number(ExactDecimal(value)) }
    /// A Boolean literal as a policy Boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal as a policy list.
    public init(arrayLiteral elements: PolicyValue...) { self = .list(elements) }
}

extension PolicyValue {
    /// Exact equality: numbers by value, strings and member names byte for byte (never by Unicode equivalence).
    public static func == (a: PolicyValue, b: PolicyValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x.isExactly(y)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y.first(where: { $0.key.isExactly(key) }), other.value == value else {
                    return false
                }
            }
            return true
        default: return false
        }
    }

    /// Hashes what `==` compares: string bytes, not their Unicode equivalence class.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s):
            hasher.combine(3)
            for byte in s.utf8 { hasher.combine(byte) }
        case .list(let items):
            hasher.combine(4)
            hasher.combine(items.count)
            for item in items { hasher.combine(item) }
        case .object(let members):
            hasher.combine(5)
            hasher.combine(members.count)
        }
    }
}

extension String {
    /// Byte-exact equality (no canonical equivalence), for identifiers. Compares the two UTF-8
    /// buffers directly: iterating the views byte by byte was a sixth of a decision's time.
    @inline(__always)
    func isExactly(_ other: String) -> Bool {
        // The same representation (one small string, or one storage) is the same text; a
        // different length never is. Neither needs the bytes.
        if MemoryLayout<String>.size == 16,
            unsafeBitCast(self, to: (UInt64, UInt64).self) == unsafeBitCast(other, to: (UInt64, UInt64).self)
        {
            return true
        }
        guard utf8.count == other.utf8.count else { return false }
        let direct = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
        if let direct, let equal = direct { return equal }
        return utf8.elementsEqual(other.utf8)
    }
}
