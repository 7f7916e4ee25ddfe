/// Counts, in one pass over its bytes and before Yams reads it, a number that is never below
/// the count of YAML nodes (scalars, lists, mappings, aliases) libyaml would make of a text, so
/// a document with too many is refused before a single node is built. Yams has no streaming
/// parser: it composes the whole tree, and only then could the nodes be counted.
///
/// The count rests on where libyaml puts a node. Each fills the place that follows a line start
/// or an indicator, and no two share a place, except where a mapping begins: its first key
/// shares the place of the mapping unless the key begins its line, and in a flow list
/// (`[a, k: v]`) a `k: v` entry is a mapping of its own. A key without a value in a flow mapping
/// (`{a, b}`) adds an empty value. So the count is:
/// - 2: the document, and the place an unfinished flow entry may need at a syntax error;
/// - 1 for each line that begins with a value: any line but a blank one, a comment, and one
///   whose first mark is `- `, `?`, `:`, `,`, `]` or `}` (its value follows that mark);
/// - 1 for each line whose first mark is `- `, `?` or `:` and that has a `:` (its first key
///   shares a place);
/// - 1 for each `- ` (a `-` before a space, a tab, a line break or the end), `:`, `[`, `{`, `]`
///   and `}`, and 2 for each `?` and `,`: a flow entry's mapping or empty value is counted by
///   the `,`, `]` or `}` that ends the entry.
/// Every mark counts wherever it stands, in quotes and comments too: the count never needs to
/// know what libyaml would make of the text, so it cannot be wrong about it, and for a policy
/// it stays close to the real number (a `key: value` line counts its 2 nodes, a `- item` line
/// its 1, `[a, b]` 4 for 3). Line breaks are those of libyaml: LF, CR, NEL, LS and PS.
enum YAMLNodeBound {
    /// Where the count first exceeds `limit`, or nil when the whole text stays within it.
    static func firstExcess(over limit: Int, in text: String) -> SourceLocation? {
        var text = text
        return text.withUTF8 { bytes -> SourceLocation? in
            guard let offset = firstExcess(over: limit, in: bytes) else { return nil }
            return location(of: offset, in: bytes)
        }
    }

    /// The byte offset at which the count first exceeds `limit`.
    static func firstExcess(over limit: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var count = 2
        guard count <= limit else { return 0 }
        let significant = Self.significant
        var i = 0
        let end = bytes.count
        while i < end {
            // A line: its first mark decides whether it begins with a value.
            var j = i
            while j < end, bytes[j] == space || bytes[j] == tab { j += 1 }
            var keySharesAPlace = false
            if j < end, !isBreak(bytes, at: j) {
                switch bytes[j] {
                case hash, comma, closeBracket, closeBrace: break
                case questionMark, colon: keySharesAPlace = true
                case dash where isBlankOrEnd(bytes, at: j + 1): keySharesAPlace = true
                default: count += 1
                }
                if count > limit { return j }
            }
            // The marks of the line, up to its break.
            while j < end {
                let byte = bytes[j]
                if !significant[Int(byte)] {
                    j += 1
                    continue
                }
                if isBreak(bytes, at: j) { break }
                switch byte {
                case dash where isBlankOrEnd(bytes, at: j + 1): count += 1
                case openBracket, openBrace, closeBracket, closeBrace: count += 1
                case questionMark, comma: count += 2
                case colon:
                    count += keySharesAPlace ? 2 : 1
                    keySharesAPlace = false
                default: break
                }
                if count > limit { return j }
                j += 1
            }
            i = j + breakLength(bytes, at: j)
        }
        return nil
    }

    /// The bytes the count looks at within a line: its marks and the first bytes of line breaks.
    static let significant: [Bool] = (0...255).map { byte in
        [lineFeed, carriageReturn, dash, questionMark, colon, comma, openBracket, closeBracket, openBrace, closeBrace, 0xC2, 0xE2]
            .contains(UInt8(byte))
    }

    static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r"), hash = UInt8(ascii: "#"), dash = UInt8(ascii: "-")
    static let questionMark = UInt8(ascii: "?"), colon = UInt8(ascii: ":"), comma = UInt8(ascii: ",")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")

    /// The length of the line break at `i` (LF, CR, NEL, LS, PS), or 0 when there is none.
    static func breakLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        guard i < bytes.count else { return 0 }
        switch bytes[i] {
        case lineFeed, carriageReturn: return 1
        case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0x85: return 2
        case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
            return 3
        default: return 0
        }
    }

    static func isBreak(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool { breakLength(bytes, at: i) > 0 }

    /// True for a space, a tab, a line break, a NUL or the end of the text (libyaml's "blank or
    /// end", after which `-` is a list entry).
    static func isBlankOrEnd(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        i >= bytes.count || bytes[i] == space || bytes[i] == tab || bytes[i] == 0 || isBreak(bytes, at: i)
    }

    /// The 1-based line and column (in characters) of a byte offset; CR LF is one line break.
    static func location(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> SourceLocation {
        var number = 1
        var lineStart = 0
        var i = 0
        let significant = Self.significant
        while i < offset {
            let length = significant[Int(bytes[i])] ? breakLength(bytes, at: i) : 0
            if length == 0 {
                i += 1
                continue
            }
            let crlf = bytes[i] == carriageReturn && i + 1 < bytes.count && bytes[i + 1] == lineFeed
            i += crlf ? 2 : length
            number += 1
            lineStart = i
        }
        let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<offset]), as: UTF8.self)
        return SourceLocation(line: number, column: line.unicodeScalars.count + 1)
    }
}
