/// The JSON Canonicalization Scheme (RFC 8785): the exact bytes that are hashed, so a
/// re-serialised document (other key order, `\u00e9` for `é`, `1.0` for `1`) hashes the same.
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of a value.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The canonical text of a value.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The text of a value with the canonical member order and string escaping, but every
    /// number exactly as it was written: for what a token, a response or the store carries, and
    /// for digests that must tell `100.0000000000000001` from `100` (RFC 8785 would make both
    /// the same double).
    public static func exactString(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, exactNumbers: true)
        return String(decoding: out, as: UTF8.self)
    }

    /// Both forms at once, serialising the value a second time only when it holds a number
    /// whose literal is not already its RFC 8785 form (`1.0`, `1e2`, an integer beyond 2^53):
    /// the audit log stores the exact text and hashes the canonical bytes of every event.
    public static func exactAndCanonical(_ value: JSONValue) -> (exact: String, canonical: [UInt8]) {
        bothForms(reserving: 256, secondPass: hasNonCanonicalNumber(value)) { write(value, into: &$0, exactNumbers: $1) }
    }

    /// Both forms of an object of `members` and of members already rendered in RFC 8785 form
    /// (numbers canonical, so the same bytes serve both forms); a rendered member replaces a
    /// member of `members` with its name.
    public static func exactAndCanonical(
        object members: [String: JSONValue], rendered: [(name: String, json: [UInt8])]
    ) -> (exact: String, canonical: [UInt8]) {
        var members = members
        for member in rendered { members[member.name] = nil }
        return bothForms(
            reserving: 256 + rendered.reduce(0) { $0 + $1.json.count }, secondPass: hasNonCanonicalNumber(.object(members))
        ) { writeObject(members, rendered: rendered, into: &$0, exactNumbers: $1) }
    }

    /// The exact form written by `write` (its second argument true), and the canonical form:
    /// the same bytes unless `secondPass`, when `write` runs again with canonical numbers.
    private static func bothForms(
        reserving capacity: Int, secondPass: Bool, _ write: (inout [UInt8], _ exactNumbers: Bool) -> Void
    ) -> (exact: String, canonical: [UInt8]) {
        var exact: [UInt8] = []
        exact.reserveCapacity(capacity)
        write(&exact, true)
        var canonical = exact
        if secondPass {
            canonical.removeAll(keepingCapacity: true)
            write(&canonical, false)
        }
        return (String(decoding: exact, as: UTF8.self), canonical)
    }

    static func hasNonCanonicalNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let n): !n.isCanonicalInteger && number(n) != n.literal
        case .array(let elements): elements.contains(where: hasNonCanonicalNumber)
        case .object(let members): members.values.contains(where: hasNonCanonicalNumber)
        case .null, .bool, .string: false
        }
    }

    /// Appends the value's text to `out`: RFC 8785 numbers, or the literals as written when `exactNumbers`.
    public static func write(_ value: JSONValue, into out: inout [UInt8], exactNumbers: Bool = false) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: (exactNumbers ? n.literal : number(n)).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for e in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(e, into: &out, exactNumbers: exactNumbers)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            writeObject(members, rendered: [], into: &out, exactNumbers: exactNumbers)
        }
    }

    /// An object of `members` and of members already rendered as JSON, all in canonical order.
    static func writeObject(
        _ members: [String: JSONValue], rendered: [(name: String, json: [UInt8])], into out: inout [UInt8],
        exactNumbers: Bool
    ) {
        let values = Array(members)
        let keys = values.map(\.key) + rendered.map(\.name)
        out.append(UInt8(ascii: "{"))
        for (position, index) in canonicalOrder(keys).enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            writeString(keys[index], into: &out)
            out.append(UInt8(ascii: ":"))
            if index < values.count {
                write(values[index].value, into: &out, exactNumbers: exactNumbers)
            } else {
                out.append(contentsOf: rendered[index - values.count].json)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// RFC 8785 §3.2.3: the positions of `keys` in the order of their UTF-16 code units. UTF-8
    /// byte order is code point order, which is the same unless a name holds a character from
    /// U+E000 up (lead byte 0xEE and above), where a surrogate pair sorts below it in UTF-16:
    /// only then are the names compared as UTF-16. Positions are sorted, not the members:
    /// swapping integers moves no reference counts.
    static func canonicalOrder(_ keys: [String]) -> [Int] {
        var order = Array(keys.indices)
        if keys.allSatisfy({ key in !key.utf8.contains { $0 >= 0xEE } }) {
            order.sort { utf8Precedes(keys[$0], keys[$1]) }
        } else {
            order.sort { keys[$0].utf16.lexicographicallyPrecedes(keys[$1].utf16) }
        }
        return order
    }

    /// Byte-wise order of two strings' UTF-8 (the generic `lexicographicallyPrecedes` over
    /// `UTF8View` cost a tenth of every audit record's serialisation).
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let n = Swift.min(x.count, y.count)
                var i = 0
                while i < n {
                    if x[i] != y[i] { return x[i] < y[i] }
                    i += 1
                }
                return x.count < y.count
            }
        }
    }

    /// RFC 8785 §3.2.2.2: minimal escaping, everything else as raw UTF-8.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            // Most strings need no escape: copy them whole.
            if !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
                out.append(contentsOf: bytes)
                return
            }
            for c in bytes { appendEscaped(c, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendEscaped(_ c: UInt8, into out: inout [UInt8]) {
        switch c {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x00..<0x20:
            let hex: StaticString = "0123456789abcdef"
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hex.utf8Start[Int(c >> 4)])
            out.append(hex.utf8Start[Int(c & 0xF)])
        default: out.append(c)
        }
    }

    /// RFC 8785 §3.2.2.3: numbers as ECMAScript's Number.prototype.toString of the IEEE double.
    static func number(_ n: JSONNumber) -> String {
        if let i = n.int64Value, i > -(1 << 53), i < (1 << 53) { return String(i) }
        // RFC 8785 has no form for a non-finite number; keeping the literal keeps it distinct
        // from every other value, so an edit to such a value still changes the hash.
        guard let d = n.doubleValue, d.isFinite else { return n.literal }
        return ecmaScriptString(d)
    }

    static func ecmaScriptString(_ d: Double) -> String {
        if d == 0 { return "0" }
        if d < 0 { return "-" + ecmaScriptString(-d) }
        // Swift prints the shortest round-tripping digits; re-express them in ECMAScript form.
        var text = "\(d)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var digits = intPart + fracPart
        var pointPosition = intPart.count + exponent  // digits before the decimal point
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let k = digits.count
        let n = pointPosition
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return digits[..<i] + "." + digits[i...]
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        let mantissa = k == 1 ? digits : digits.prefix(1) + "." + digits.dropFirst()
        return mantissa + "e" + sign + String(abs(e))
    }
}
