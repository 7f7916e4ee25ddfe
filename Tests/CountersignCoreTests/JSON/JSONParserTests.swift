import CountersignCore
import Testing

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser().parse(#"{"a":[1,-2.5e3,true,false,null,"x\u00e9\n"],"b":{}}"#)
        #expect(value == .object(["a": [1, .number(JSONNumber(literal: "-2.5e3")!), true, false, nil, "xé\n"], "b": [:]]))
    }

    @Test func numbersKeepTheirExactLiteral() throws {
        let value = try JSONParser().parse("[100.0000000000000001, 1e2, -0, 1e309, 9223372036854775808]")
        guard case .array(let items) = value else { Issue.record("not an array"); return }
        #expect(
            items.map { if case .number(let n) = $0 { n.literal } else { "" } } == [
                "100.0000000000000001", "1e2", "-0", "1e309", "9223372036854775808",
            ])
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate member name"),
        ("[1,]", "unexpected character"),
        ("01", "invalid number"),
        (#""\ud800""#, "lone surrogate"),
        (#""\udc00x""#, "lone surrogate"),
        ("\"a\u{01}\"", "control character in string"),
        ("nul", "invalid literal"),
        ("1 2", "unexpected data after the JSON value"),
        ("1.", "invalid number"),
        ("{\"a\" 1}", "expected ':'"),
        ("", "unexpected end of JSON"),
    ])
    func refusesMalformedDocuments(text: String, message: String) {
        #expect {
            try JSONParser().parse(text)
        } throws: { error in
            (error as? JSONParser.Failure)?.message.contains(message) == true
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse([0x22, 0xC3, 0x28, 0x22]) }
        // Also after a plain ASCII start (a plain string is read whole, without the slow path).
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse([0x22, 0x61, 0x62, 0xC3, 0x28, 0x22]) }
    }

    @Test func plainStringsAndStringsWithEscapesOrNonASCIIReadAlike() throws {
        let value = try JSONParser().parse(#"["plain \u007f~", "ascii then é", "ascii then \"escape\"", "", "a\/b"]"#)
        #expect(value == ["plain \u{7F}~", "ascii then é", "ascii then \"escape\"", "", "a/b"])
        #expect {
            try JSONParser().parse(#"["abc"#)
        } throws: { error in
            (error as? JSONParser.Failure)?.message == "unterminated string"
        }
        // A control character after a plain start is found where it is.
        #expect {
            try JSONParser().parse("[\"ab\u{01}\"]")
        } throws: { error in
            let failure = error as? JSONParser.Failure
            return failure?.message == "control character in string" && failure?.offset == 4
        }
    }

    @Test func boundsNestingDepth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect {
            try JSONParser(maxDepth: 32).parse(deep)
        } throws: { error in
            (error as? JSONParser.Failure)?.message == "JSON nested deeper than 32 levels"
        }
        #expect(throws: Never.self) { try JSONParser(maxDepth: 3).parse("[[[1]]]") }
    }
}
