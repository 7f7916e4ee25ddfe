/// A regular expression for the policy operator `regex`, matched in time linear in the text.
///
/// Policies are written by operators but evaluated against hostile request values, so this is
/// a Thompson NFA simulated as a Pike VM (the RE2 approach), never a backtracker: `matches`
/// costs O(text length × program size) whatever the pattern, and `(a+)+$` against a long run
/// of `a`s is as cheap as `a`. Compilation is bounded by ``maxPatternLength``, ``maxRepeat`` and
/// ``maxProgramSize``. Text and pattern are compared as Unicode scalars, exactly.
///
/// Supported: literals; `.` (any scalar but `\n`); `\n \t \r`; `\d \D \w \W \s \S` (ASCII);
/// an escaped punctuation or non-ASCII scalar as a literal; bracket classes (`[a-z_]`, `[^...]`,
/// `]` first or escaped, `-` first, last or escaped, `\d \w \s \D \W \S` and escapes inside);
/// `^` (start of text) and `$` (end of text only, no multiline); `( )`, `(?: )` and named
/// groups `(?<name> )` / `(?P<name> )`, all plain groups (nothing is captured); `|`; `* + ?`,
/// `{n} {n,} {n,m}` with n ≤ m ≤ ``maxRepeat``, and their lazy forms (same boolean answer).
/// An unpaired `]` or `}` is a literal.
///
/// Refused with a ``BoundedRegexError``: backreferences, lookaround, atomic groups, inline flags,
/// comments, word boundaries `\b \B`, `\p{..}` and other unknown letter or digit escapes, POSIX
/// classes `[:alpha:]`, a quantifier with nothing to repeat (`*a`, `a**`, `^*`), a `{` that is
/// not a quantifier, unbalanced parentheses, unterminated classes and reversed ranges.
public struct BoundedRegex: Sendable, Hashable, CustomStringConvertible {
    /// The longest pattern accepted, in Unicode scalars.
    public static let maxPatternLength = 512
    /// The most VM instructions a pattern may compile to, after expanding `{m,n}`.
    public static let maxProgramSize = 2000
    /// The largest count allowed in `{n}`, `{n,}` and `{n,m}`.
    public static let maxRepeat = 100

    /// The pattern as written.
    public let pattern: String
    private let program: RegexProgram

    /// Compiles `pattern`, or explains with an offset what is wrong with it.
    public init(_ pattern: String) throws(BoundedRegexError) {
        let scalars = Array(pattern.unicodeScalars)
        guard scalars.count <= Self.maxPatternLength else {
            throw BoundedRegexError(
                message: "the pattern is longer than \(Self.maxPatternLength) characters: shorten it",
                offset: Self.maxPatternLength)
        }
        var parser = RegexParser(scalars: scalars)
        let tree = try parser.parseAll()
        var program = RegexProgram()
        program.emit(tree)
        program.ops.append(.match)
        program.interned = [:]
        self.pattern = pattern
        self.program = program
    }

    /// Search semantics: true when some substring of `text` matches (anchor with `^` and `$`).
    public func matches(_ text: String) -> Bool { program.run(text.unicodeScalars) }

    /// The pattern as written.
    public var description: String { pattern }

    /// Two regexes are equal when their patterns are (the program is derived from the pattern).
    public static func == (lhs: BoundedRegex, rhs: BoundedRegex) -> Bool { lhs.pattern == rhs.pattern }

    /// Hashes the pattern only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

/// Why a pattern was refused: a sentence saying what is wrong and how to fix it, and the
/// 0-based Unicode-scalar offset in the pattern where the problem is.
public struct BoundedRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public let message: String
    /// Where in the pattern, counted in Unicode scalars from 0.
    public let offset: Int
    /// The message.
    public var description: String { message }
}
