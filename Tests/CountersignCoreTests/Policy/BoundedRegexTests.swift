import CountersignCore
import Testing

/// The `regex` operator's matcher: linear-time, bounded, and explicit about what it refuses.
@Suite struct BoundedRegexTests {
    @Test(arguments: [
        // Search semantics: any substring may match unless anchored.
        ("abc", "xxabcxx", true), ("abc", "abxc", false), ("^abc", "abcd", true), ("^abc", "xabc", false),
        ("abc$", "xabc", true), ("abc$", "abcx", false), ("^abc$", "abc", true), ("^$", "", true), ("^$", "x", false),
        ("", "", true), ("", "anything", true),
        // Alternation and groups.
        ("^(?:cat|dog)s?$", "dogs", true), ("^(?:cat|dog)s?$", "cow", false), ("^(ab|a)(bc|c)$", "abc", true),
        ("^a|b$", "ax", true), ("^a|b$", "xb", true), ("^(|x)$", "", true), ("^(?<id>[0-9]+)$", "42", true),
        ("^(?P<id>[0-9]+)$", "42", true),
        // Quantifiers, including their lazy forms (same boolean answer).
        ("^a*$", "", true), ("^a+$", "", false), ("^a?b$", "b", true), ("^a{3}$", "aaa", true), ("^a{3}$", "aa", false),
        ("^a{2,}$", "aaaaa", true), ("^a{2,}$", "a", false), ("^a{1,2}$", "aaa", false), ("^a{0}$", "", true),
        ("^a*?b+?c??$", "aabb", true), ("^a{1,2}?$", "aa", true), ("^(ab){2}$", "abab", true),
        // Classes and escapes.
        ("^[a-c]+$", "abcab", true), ("^[a-c]+$", "abd", false), ("^[^a-c]$", "d", true), ("^[^a-c]$", "b", false),
        ("^[]a]+$", "]a]", true), ("^[^]]$", "]", false), ("^[a\\]]+$", "]a", true), ("^[-a]+$", "-a", true),
        ("^[a-]+$", "a-", true), ("^[\\d_]+$", "1_2", true), ("^[\\s]$", "\t", true), ("^[\\D]$", "7", false),
        ("^\\d+$", "0123456789", true), ("^\\D$", "x", true), ("^\\w+$", "a_Z9", true), ("^\\W$", "-", true),
        ("^\\s$", " ", true), ("^\\S$", " ", false), ("^a\\.b$", "a.b", true), ("^a\\.b$", "axb", false),
        ("^\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\/\\-\\\\$", "*+?()[]{}|^$/-\\", true), ("^\\n\\t\\r$", "\n\t\r", true),
        ("^a}$", "a}", true), ("^a]$", "a]", true), ("^\\@\\#$", "@#", true),
        // `.` is any scalar but "\n".
        ("^.$", "é", true), ("^.$", "\n", false), ("^.$", "\r", true), ("^...$", "a\u{301}b", true),
        // Scalars are compared exactly: no normalisation, no case folding, ASCII-only classes.
        ("^é$", "e\u{301}", false), ("^abc$", "ABC", false), ("^\\w$", "é", false), ("^\\d$", "\u{663}", false),
        ("^\\s$", "\u{A0}", false), ("^[à-ÿ]+$", "éü", true), ("😀+", "a😀😀", true),
        // `$` is the end of the text only; there is no multiline mode.
        ("a$", "a\n", false), ("^b", "a\nb", false),
        // Patterns operators actually write.
        ("^https://api\\.example\\.com/payments/[0-9]+$", "https://api.example.com/payments/42", true),
        ("^https://api\\.example\\.com/payments/[0-9]+$", "https://api.example.com/payments/42/refund", false),
        ("^[A-Z]{3}$", "EUR", true), ("^[A-Z]{3}$", "EURO", false),
    ])
    func matchesAsASearchUnlessAnchored(pattern: String, text: String, expected: Bool) throws {
        #expect(try BoundedRegex(pattern).matches(text) == expected)
    }

    @Test func nestedQuantifiersRunInLinearTime() throws {
        // A backtracker needs 2^n steps here; the Pike VM finishes because it is linear.
        let hostile = String(repeating: "a", count: 10_000) + "b"
        #expect(try !BoundedRegex("(a+)+$").matches(hostile))
        #expect(try !BoundedRegex("^(a|aa)*$").matches(hostile))
        #expect(try !BoundedRegex("^(a|a?)+c").matches(hostile))
        #expect(try !BoundedRegex("(.*a){20}c").matches(hostile))
        #expect(try BoundedRegex("(a+)+b$").matches(hostile))
    }

    @Test(arguments: ["(a*)*", "(a*)+", "(a?)*", "(|a)*", "((a*)*)*", "(?:a*|b*)*", "(^)*", "($)+", "(?:){0,100}"])
    func emptyWidthLoopsTerminate(pattern: String) throws {
        let regex = try BoundedRegex(pattern)
        #expect(regex.matches(""))
        #expect(regex.matches("aaab"))
        #expect(try !BoundedRegex("^" + pattern + "c$").matches("aaab"))
    }

    @Test(arguments: [
        ("*a", "nothing to repeat: '*' has no character or group before it; write \\* for a literal one", 0),
        ("a|+", "nothing to repeat: '+' has no character or group before it; write \\+ for a literal one", 2),
        ("(?a)", "inline flags such as (?i) are not supported: spell cases out, as in [Aa]", 0),
        ("a**", "nothing to repeat: a quantifier cannot follow another; group first, as in (?:a*)*", 2),
        ("a{2}{3}", "nothing to repeat: a quantifier cannot follow another; group first, as in (?:a*)*", 4),
        ("a???", "nothing to repeat: a quantifier cannot follow another; group first, as in (?:a*)*", 3),
        ("^*", "nothing to repeat: a quantifier cannot follow the anchor '^' or '$'; for any text write .*", 1),
        ("{2}", "nothing to repeat: '{' has no character or group before it; write \\{ for a literal one", 0),
        ("a{", "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace", 1),
        ("a{x}", "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace", 1),
        ("a{,3}", "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace", 1),
        ("a{1,2", "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace", 1),
        ("{", "'{' does not start a valid {n}, {n,} or {n,m} quantifier: write \\{ for a literal brace", 0),
        ("a{101}", "a count in {101} is larger than 100: use a smaller count, or * or +", 1),
        ("a{1,101}", "a count in {1,101} is larger than 100: use a smaller count, or * or +", 1),
        ("a{99999999999999999999}", "a count in {99999999999999999999} is larger than 100: use a smaller count, or * or +", 1),
        ("a{3,2}", "bad repeat {3,2}: the minimum is larger than the maximum", 1),
        ("(ab", "unbalanced parenthesis: this '(' is never closed; add ')' or write \\( for a literal one", 0),
        ("a(b(c)", "unbalanced parenthesis: this '(' is never closed; add ')' or write \\( for a literal one", 1),
        ("ab)", "unbalanced parenthesis: this ')' has no matching '('; write \\) for a literal one", 2),
        ("[abc", "unterminated character class: add ']' to close this '['", 0),
        ("x[]", "unterminated character class: add ']' to close this '['", 1),
        ("[z-a]", "bad range z-a: the start comes after the end; write the lower end first", 1),
        ("[\\d-z]", "bad range: a class such as \\d cannot be a range end; write \\- for a literal hyphen", 1),
        ("[[:alpha:]]", "POSIX classes such as [:alpha:] are not supported: write ranges such as A-Za-z, or \\[ for a literal '['", 1),
        ("(a)\\1", "backreferences (\\1) are not supported: rewrite without them", 3),
        ("\\9", "backreferences (\\9) are not supported: rewrite without them", 0),
        ("(?<x>a)\\k<x>", "backreferences (\\k<name>) are not supported: rewrite without them", 7),
        ("a(?=b)", "lookahead (?= (?! is not supported: match the text itself or use a second condition", 1),
        ("a(?!b)", "lookahead (?= (?! is not supported: match the text itself or use a second condition", 1),
        ("(?<=a)b", "lookbehind (?<= (?<! is not supported: match the text itself or use a second condition", 0),
        ("(?<!a)b", "lookbehind (?<= (?<! is not supported: match the text itself or use a second condition", 0),
        ("(?i)abc", "inline flags such as (?i) are not supported: spell cases out, as in [Aa]", 0),
        ("(?i:abc)", "inline flags such as (?i) are not supported: spell cases out, as in [Aa]", 0),
        ("(?-i)a", "inline flags such as (?i) are not supported: spell cases out, as in [Aa]", 0),
        ("(?>a+)", "atomic groups (?> are not supported: use (?: ) instead", 0),
        ("(?#note)", "comments (?# are not supported: remove the comment", 0),
        ("(?", "unknown group syntax after '(?': use ( ) or (?: )", 0),
        ("(?<1x>a)", "bad group name: write (?<name>...) with a letter or _ then letters, digits or _", 0),
        ("(?P=x)", "bad group name: write (?<name>...) with a letter or _ then letters, digits or _", 0),
        ("ab\\", "trailing backslash: write \\\\ for a literal backslash", 2),
        ("[a\\", "trailing backslash: write \\\\ for a literal backslash", 2),
        ("\\bword\\b", "word boundaries (\\b, \\B) are not supported: match the separator explicitly, as in (^|[^A-Za-z0-9_])", 0),
        ("a\\B", "word boundaries (\\b, \\B) are not supported: match the separator explicitly, as in (^|[^A-Za-z0-9_])", 1),
        ("\\p{L}", "Unicode property classes (\\p{...}) are not supported: write a bracket class such as [A-Za-z]", 0),
        ("[\\P{L}]", "Unicode property classes (\\P{...}) are not supported: write a bracket class such as [A-Za-z]", 1),
        ("\\q", "unknown escape \\q: escape only punctuation, or use \\d \\w \\s \\D \\W \\S \\n \\t \\r", 0),
        ("\\x41", "unknown escape \\x: escape only punctuation, or use \\d \\w \\s \\D \\W \\S \\n \\t \\r", 0),
        ("\\0", "unknown escape \\0: escape only punctuation, or use \\d \\w \\s \\D \\W \\S \\n \\t \\r", 0),
        ("\\A", "unknown escape \\A: escape only punctuation, or use \\d \\w \\s \\D \\W \\S \\n \\t \\r", 0),
    ])
    func refusesUnsupportedOrMalformedSyntax(pattern: String, message: String, offset: Int) {
        let error = #expect(throws: BoundedRegexError.self) { try BoundedRegex(pattern) }
        #expect(error?.message == message)
        #expect(error?.offset == offset)
        #expect(error?.description == message)
    }

    @Test func boundsThePatternLengthInScalars() throws {
        _ = try BoundedRegex(String(repeating: "é", count: BoundedRegex.maxPatternLength))
        let error = #expect(throws: BoundedRegexError.self) {
            try BoundedRegex(String(repeating: "a", count: BoundedRegex.maxPatternLength + 1))
        }
        #expect(error?.message == "the pattern is longer than 512 characters: shorten it")
        #expect(error?.offset == 512)
    }

    @Test func boundsRepeatCounts() throws {
        #expect(try BoundedRegex("^a{100}$").matches(String(repeating: "a", count: 100)))
        #expect(try BoundedRegex("^a{0,100}$").matches(String(repeating: "a", count: 100)))
        #expect(try !BoundedRegex("^a{0,100}$").matches(String(repeating: "a", count: 101)))
    }

    @Test func boundsTheCompiledProgramBeforeBuildingIt() throws {
        // 19 × 100 instructions plus the final match fit; 20 × 100 plus match do not.
        #expect(try BoundedRegex("^(?:a{100}){19}$").matches(String(repeating: "a", count: 1900)))
        let tooBig = "the pattern compiles to more than 2000 instructions: lower the {m,n} counts or simplify nested repeats"
        for (pattern, offset) in [
            ("(?:a{100}){20}", 10), ("((a{100}){100}){100}", 9), ("a{100}b{100}" + String(repeating: "c{100}", count: 18), 114),
        ] {
            let error = #expect(throws: BoundedRegexError.self) { try BoundedRegex(pattern) }
            #expect(error?.message == tooBig)
            #expect(error?.offset == offset)
        }
    }

    @Test func equalityAndHashingFollowThePattern() throws {
        let a = try BoundedRegex("^a+$")
        #expect(a == (try BoundedRegex("^a+$")))
        #expect(a != (try BoundedRegex("^a+")))
        #expect(Set([a, try BoundedRegex("^a+$")]).count == 1)
        #expect(a.pattern == "^a+$")
        #expect(a.description == "^a+$")
    }
}
