import CountersignCore
import Testing

/// Resource patterns and the `glob` operator: `*` stays within a path segment, `**` does not.
@Suite struct GlobPatternTests {
    @Test(arguments: [
        // `*` matches within one segment only.
        ("https://api.example.com/payments/*", "https://api.example.com/payments/42", true),
        ("https://api.example.com/payments/*", "https://api.example.com/payments/", true),
        ("https://api.example.com/payments/*", "https://api.example.com/payments/42/refund", false),
        ("https://api.example.com/payments/*", "https://api.example.com/payments", false),
        ("*.example.com", "api.example.com", true), ("*.example.com", "a.b.example.com", true),
        ("*.example.com", "evil.com/x.example.com", false),
        // The literal start is compared before any star: shorter or different texts fail there.
        ("https://api.example.com/payments/*", "https://api.example.co", false),
        ("https://api.example.com/payments/*", "https://api.example.org/payments/42", false), ("abc*", "abd", false),
        ("\\*abc*", "*abcx", true), ("\\*abc*", "xabcx", false), ("a\\?*", "a?", true), ("a\\?*", "ab", false),
        // `**` crosses segments; it is a plain run, so the slashes around it are still literal.
        ("https://api.example.com/**", "https://api.example.com/payments/42/refund", true),
        ("https://api.example.com/**", "https://api.example.com/", true),
        ("https://api.example.com/**", "https://api.example.com", false),
        ("a/**/b", "a/x/y/b", true), ("a/**/b", "a//b", true), ("a/**/b", "a/b", false),
        ("**", "", true), ("**", "a/b/c", true), ("*", "", true), ("*", "a/b", false),
        // `?` is exactly one scalar other than `/`.
        ("file-?.txt", "file-1.txt", true), ("file-?.txt", "file-.txt", false), ("file-?.txt", "file-12.txt", false),
        ("a?b", "a/b", false), ("?", "é", true), ("?", "e\u{301}", false),
        // Escapes make the next scalar literal.
        ("a\\*b", "a*b", true), ("a\\*b", "axb", false), ("a\\?", "a?", true), ("a\\?", "ab", false),
        ("a\\\\b", "a\\b", true), ("\\a", "a", true), ("a\\*\\*\\*", "a***", true),
        // Everything else is literal, compared by scalar exactly.
        ("", "", true), ("", "x", false), ("abc", "abc", true), ("abc", "ABC", false), ("abc", "abcd", false),
        ("é", "e\u{301}", false), ("[a]", "[a]", true), ("[a]", "a", false), ("a.c", "abc", false),
        // Several stars backtrack correctly.
        ("*a*b*c", "xxaxxbxxc", true), ("*a*b*c", "xxaxxcxxb", false), ("**/*.json", "a/b/c.json", true),
        ("**/*.json", "a/b/c.json/d", false), ("*/**", "a/b", true), ("*/*", "a/b/c", false),
    ])
    func matchesTheWholeText(pattern: String, text: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(text) == expected)
    }

    @Test func manyStarsRunInPolynomialTime() throws {
        // Exponential for a naive recursive matcher; the NFA simulation is O(pattern × text).
        let pattern = try GlobPattern(String(repeating: "*a", count: 200) + "b")
        #expect(!pattern.matches(String(repeating: "a", count: 5_000)))
        let deep = try GlobPattern(String(repeating: "**a", count: 200) + "b")
        #expect(!deep.matches(String(repeating: "a/", count: 2_500)))
        #expect(deep.matches(String(repeating: "a/", count: 2_500) + "ab"))
    }

    @Test(arguments: [
        (
            "a/***",
            "three or more stars in a row have no meaning: use * within one path segment or ** across segments, or \\* for a literal star",
            2
        ),
        (
            "****",
            "three or more stars in a row have no meaning: use * within one path segment or ** across segments, or \\* for a literal star",
            0
        ),
        (
            "\\****",
            "three or more stars in a row have no meaning: use * within one path segment or ** across segments, or \\* for a literal star",
            2
        ),
        ("a\\", "trailing backslash: write \\\\ for a literal backslash", 1),
        ("\\", "trailing backslash: write \\\\ for a literal backslash", 0),
    ])
    func refusesMalformedPatterns(pattern: String, message: String, offset: Int) {
        let error = #expect(throws: GlobPatternError.self) { try GlobPattern(pattern) }
        #expect(error?.message == message)
        #expect(error?.offset == offset)
        #expect(error?.description == message)
    }

    @Test func boundsThePatternLengthInScalars() throws {
        _ = try GlobPattern(String(repeating: "é", count: GlobPattern.maxPatternLength))
        let error = #expect(throws: GlobPatternError.self) {
            try GlobPattern(String(repeating: "a", count: GlobPattern.maxPatternLength + 1))
        }
        #expect(error?.message == "the pattern is longer than 1024 characters: shorten it")
        #expect(error?.offset == 1024)
    }

    @Test func equalityAndHashingFollowThePattern() throws {
        let a = try GlobPattern("/payments/*")
        #expect(a == (try GlobPattern("/payments/*")))
        #expect(a != (try GlobPattern("/payments/**")))
        #expect(Set([a, try GlobPattern("/payments/*")]).count == 1)
        #expect(a.description == "/payments/*")
    }
}
