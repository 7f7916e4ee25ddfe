import CountersignOAuth
import Testing

/// What the protocol layer reads from a `Content-Type` header.
@Suite struct OAuthRequestTests {
    @Test(arguments: [
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("Application/X-WWW-Form-URLEncoded; charset=UTF-8", "application/x-www-form-urlencoded"),
        (" \tapplication/json ;charset=x", "application/json"),
        ("application/json;", "application/json"),
        (";", ""),
        ("", ""),
        (" ; charset=x", ""),
        // Only ASCII letters fold, and only RFC 9110's whitespace (space, tab) is trimmed.
        ("\u{00A0}application/json", "\u{00A0}application/json"),
        ("APPLICATION/\u{212A}", "application/\u{212A}"),
    ])
    func mediaTypeIsTheValueBeforeItsParametersTrimmedAndLowerCased(value: String, expected: String) {
        #expect(OAuthRequest.mediaType(value) == expected)
    }
}
