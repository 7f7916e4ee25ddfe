/// The syntax of `BoundedRegex` patterns: the tree a pattern parses into, the ASCII classes
/// and set algebra, and the recursive-descent parser with its refusals.
indirect enum RegexNode {
    case empty
    case scalar(UInt32)
    /// Sorted, merged, non-overlapping ranges.
    case set([ClosedRange<UInt32>])
    case anyButNewline
    case start
    case end
    case concat([RegexNode])
    case alternate([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)
}

/// ASCII classes and set algebra over scalar values.
enum ScalarRanges {
    static let digit: [ClosedRange<UInt32>] = [48...57]
    static let word: [ClosedRange<UInt32>] = [48...57, 65...90, 95...95, 97...122]
    static let space: [ClosedRange<UInt32>] = [9...13, 32...32]

    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in normalized(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }
}

// MARK: - Parser

struct RegexParser {
    typealias Failure = BoundedRegexError
    /// What an escape stands for: one scalar (usable as a range end) or a class.
    enum Escaped { case scalar(UInt32), set([ClosedRange<UInt32>]) }

    let scalars: [Unicode.Scalar]
    var index = 0

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func fail(_ message: String, at offset: Int) -> Failure { Failure(message: message, offset: offset) }
    var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    mutating func parseAll() throws(Failure) -> RegexNode {
        let (tree, _) = try parseAlternation()
        if index < scalars.count {
            throw fail("unbalanced parenthesis: this ')' has no matching '('; write \\) for a literal one", at: index)
        }
        return tree
    }

    /// Refuses as soon as the program would outgrow the limit (one slot is kept for `match`), so
    /// nested repeats such as `((a{100}){100}){100}` fail before anything large is built.
    func checkSize(_ size: Int, at offset: Int) throws(Failure) {
        guard size + 1 > BoundedRegex.maxProgramSize else { return }
        throw fail(
            "the pattern compiles to more than \(BoundedRegex.maxProgramSize) instructions: "
                + "lower the {m,n} counts or simplify nested repeats", at: offset)
    }

    // Each parse function returns the node and its compiled size, so limits are checked as we go.
    mutating func parseAlternation() throws(Failure) -> (RegexNode, Int) {
        var branches: [RegexNode] = []
        var size = 0
        while true {
            let branchStart = index
            let (branch, branchSize) = try parseConcatenation()
            branches.append(branch)
            size += branchSize + (branches.count > 1 ? 2 : 0)  // each extra branch costs a split and a jump
            try checkSize(size, at: branchStart)
            guard peek == "|" else { break }
            index += 1
        }
        return (branches.count == 1 ? branches[0] : .alternate(branches), size)
    }

    mutating func parseConcatenation() throws(Failure) -> (RegexNode, Int) {
        var items: [RegexNode] = []
        var size = 0
        while let c = peek, c != "|", c != ")" {
            let itemStart = index
            let (item, itemSize) = try parseRepetition()
            items.append(item)
            size += itemSize
            try checkSize(size, at: itemStart)
        }
        switch items.count {
        case 0: return (.empty, 0)
        case 1: return (items[0], size)
        default: return (.concat(items), size)
        }
    }

    mutating func parseRepetition() throws(Failure) -> (RegexNode, Int) {
        let atomStart = index
        let (atom, atomSize) = try parseAtom()
        let quantifierStart = index
        guard let (low, high) = try parseQuantifier() else { return (atom, atomSize) }
        // A bare `^*` is almost surely a glob habit; `(^)*` is left alone as deliberate.
        if quantifierStart == atomStart + 1, scalars[atomStart] == "^" || scalars[atomStart] == "$" {
            throw fail(
                "nothing to repeat: a quantifier cannot follow the anchor '^' or '$'; for any text write .*",
                at: quantifierStart)
        }
        if peek == "?" { index += 1 }  // lazy form: the same boolean answer
        let extraStart = index
        if try parseQuantifier() != nil {
            throw fail("nothing to repeat: a quantifier cannot follow another; group first, as in (?:a*)*", at: extraStart)
        }
        let size: Int
        if let high {
            size = low * atomSize + (high - low) * (atomSize + 1)
        } else {
            size = low == 0 ? atomSize + 2 : low * atomSize + 1
        }
        try checkSize(size, at: quantifierStart)
        return (.repetition(atom, min: low, max: high), size)
    }

    /// Reads `* + ? {n} {n,} {n,m}` at the cursor; nil (cursor unmoved) when there is none.
    mutating func parseQuantifier() throws(Failure) -> (Int, Int?)? {
        switch peek {
        case "*": index += 1; return (0, nil)
        case "+": index += 1; return (1, nil)
        case "?": index += 1; return (0, 1)
        case "{": break
        default: return nil
        }
        let braceAt = index
        let literalBrace = fail(
            "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace",
            at: braceAt)
        index += 1
        guard let low = readCount() else { throw literalBrace }
        var high: Int? = low
        if peek == "," {
            index += 1
            high = peek == "}" ? nil : readCount()
            if high == nil && peek != "}" { throw literalBrace }
        }
        guard peek == "}" else { throw literalBrace }
        index += 1
        guard low <= BoundedRegex.maxRepeat, (high ?? 0) <= BoundedRegex.maxRepeat else {
            let written = scalars[braceAt..<index].map(String.init).joined()
            throw fail(
                "a count in \(written) is larger than \(BoundedRegex.maxRepeat): use a smaller count, or * or +",
                at: braceAt)
        }
        if let high, low > high {
            throw fail("bad repeat {\(low),\(high)}: the minimum is larger than the maximum", at: braceAt)
        }
        return (low, high)
    }

    /// Reads decimal digits, capped so that a huge count cannot overflow before it is refused.
    mutating func readCount() -> Int? {
        var value = 0
        var digits = 0
        while let c = peek, ("0"..."9").contains(c) {
            value = min(value * 10 + Int(c.value - 48), 1_000_000)
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }

    mutating func parseAtom() throws(Failure) -> (RegexNode, Int) {
        let start = index
        let c = scalars[index]
        index += 1
        switch c {
        case "(": return try parseGroup(openedAt: start)
        case "[": return (.set(try parseClass(openedAt: start)), 1)
        case ".": return (.anyButNewline, 1)
        case "^": return (.start, 1)
        case "$": return (.end, 1)
        case "\\":
            switch try parseEscape(at: start) {
            case .scalar(let value): return (.scalar(value), 1)
            case .set(let ranges): return (.set(ranges), 1)
            }
        case "*", "+", "?", "{":
            index = start
            _ = try parseQuantifier()  // a malformed `{` gets the literal-brace message instead
            throw fail(
                "nothing to repeat: '\(c)' has no character or group before it; write \\\(c) for a literal one",
                at: start)
        default: return (.scalar(c.value), 1)
        }
    }

    mutating func parseGroup(openedAt start: Int) throws(Failure) -> (RegexNode, Int) {
        if peek == "?" {
            index += 1
            switch peek {
            case ":": index += 1
            case "=", "!":
                throw fail("lookahead (?= (?! is not supported: match the text itself or use a second condition", at: start)
            case ">": throw fail("atomic groups (?> are not supported: use (?: ) instead", at: start)
            case "#": throw fail("comments (?# are not supported: remove the comment", at: start)
            case "<", "P":
                if peek == "P" {
                    index += 1
                } else if index + 1 < scalars.count, scalars[index + 1] == "=" || scalars[index + 1] == "!" {
                    throw fail("lookbehind (?<= (?<! is not supported: match the text itself or use a second condition", at: start)
                }
                try skipGroupName(openedAt: start)
            case let flag? where flag.properties.isAlphabetic || flag == "-":
                throw fail("inline flags such as (?i) are not supported: spell cases out, as in [Aa]", at: start)
            default:
                throw fail("unknown group syntax after '(?': use ( ) or (?: )", at: start)
            }
        }
        let (inner, size) = try parseAlternation()
        guard peek == ")" else {
            throw fail("unbalanced parenthesis: this '(' is never closed; add ')' or write \\( for a literal one", at: start)
        }
        index += 1
        return (inner, size)
    }

    /// Skips `<name>` of a named group; the name is accepted and ignored since nothing is captured.
    mutating func skipGroupName(openedAt start: Int) throws(Failure) {
        let bad = fail("bad group name: write (?<name>...) with a letter or _ then letters, digits or _", at: start)
        guard peek == "<" else { throw bad }
        index += 1
        var length = 0
        while let c = peek, c.isASCII, c == "_" || c.properties.isAlphabetic || (length > 0 && c.properties.numericType != nil) {
            index += 1
            length += 1
        }
        guard length > 0, peek == ">" else { throw bad }
        index += 1
    }

    /// Parses after a backslash at `start`; shared by atoms and classes so both refuse alike.
    mutating func parseEscape(at start: Int) throws(Failure) -> Escaped {
        guard let c = peek else {
            throw fail("trailing backslash: write \\\\ for a literal backslash", at: start)
        }
        index += 1
        switch c {
        case "n": return .scalar(10)
        case "t": return .scalar(9)
        case "r": return .scalar(13)
        case "d": return .set(ScalarRanges.digit)
        case "w": return .set(ScalarRanges.word)
        case "s": return .set(ScalarRanges.space)
        case "D": return .set(ScalarRanges.complement(ScalarRanges.digit))
        case "W": return .set(ScalarRanges.complement(ScalarRanges.word))
        case "S": return .set(ScalarRanges.complement(ScalarRanges.space))
        case "b", "B":
            throw fail(
                "word boundaries (\\b, \\B) are not supported: match the separator explicitly, as in (^|[^A-Za-z0-9_])",
                at: start)
        case "1"..."9": throw fail("backreferences (\\\(c)) are not supported: rewrite without them", at: start)
        case "k": throw fail("backreferences (\\k<name>) are not supported: rewrite without them", at: start)
        case "p", "P":
            throw fail(
                "Unicode property classes (\\\(c){...}) are not supported: write a bracket class such as [A-Za-z]",
                at: start)
        default:
            // Letters and digits are reserved for escapes with meanings; any other scalar is itself.
            if c.isASCII && (c.properties.isAlphabetic || c.properties.numericType != nil) {
                throw fail(
                    "unknown escape \\\(c): escape only punctuation, or use \\d \\w \\s \\D \\W \\S \\n \\t \\r",
                    at: start)
            }
            return .scalar(c.value)
        }
    }

    mutating func parseClass(openedAt start: Int) throws(Failure) -> [ClosedRange<UInt32>] {
        var negated = false
        if peek == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let c = peek else {
                throw fail("unterminated character class: add ']' to close this '['", at: start)
            }
            if c == "]" && !first {
                index += 1
                break
            }
            first = false
            let itemStart = index
            let low = try parseClassItem()
            guard peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" else {
                switch low {
                case .scalar(let value): ranges.append(value...value)
                case .set(let set): ranges += set
                }
                continue
            }
            index += 1
            let high = try parseClassItem()
            guard case .scalar(let lowValue) = low, case .scalar(let highValue) = high else {
                throw fail("bad range: a class such as \\d cannot be a range end; write \\- for a literal hyphen", at: itemStart)
            }
            guard lowValue <= highValue else {
                throw fail(
                    "bad range \(scalars[itemStart..<index].map(String.init).joined()): the start comes after the end; write the lower end first",
                    at: itemStart)
            }
            ranges.append(lowValue...highValue)
        }
        return negated ? ScalarRanges.complement(ranges) : ScalarRanges.normalized(ranges)
    }

    mutating func parseClassItem() throws(Failure) -> Escaped {
        let start = index
        let c = scalars[index]
        index += 1
        if c == "\\" { return try parseEscape(at: start) }
        if c == "[", peek == ":" {
            throw fail(
                "POSIX classes such as [:alpha:] are not supported: write ranges such as A-Za-z, or \\[ for a literal '['",
                at: start)
        }
        return .scalar(c.value)
    }
}
