import CountersignCore
import Testing

/// RFC 8785 behaviour, with examples from its §3.2.
@Suite struct CanonicalJSONTests {
    @Test func sortsMembersByUTF16CodeUnits() throws {
        // RFC 8785 §3.2.3's sorting example.
        let value = try JSONParser().parse(
            #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#
        )
        let text = CanonicalJSON.string(value)
        let expected = ["\\r", "1", "\u{80}", "ö", "€", "😀", "\u{FB33}"]
            .map { "\"\($0)\":" }
        var position = text.startIndex
        for key in expected {
            guard let found = text[position...].firstRange(of: key) else {
                Issue.record("\(key) out of order in \(text)")
                return
            }
            position = found.upperBound
        }
    }

    @Test func sortsNamesBelowUE000InTheSameOrderAsUTF16() {
        // Names that take the UTF-8 comparison: ASCII, Latin, Greek, CJK, a prefix of another.
        let names = ["b", "a", "ab", "Z", "é", "ö", "€", "λ", "中", "\u{7F}", "", "a\u{80}"]
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.null) }))
        let expected = names.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        let text = CanonicalJSON.string(value)
        #expect(text == "{" + expected.map { "\"\($0)\":null" }.joined(separator: ",") + "}")
    }

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("1.0", "1"), ("1e2", "100"), ("100.5", "100.5"), ("1e21", "1e+21"),
        ("1e-7", "1e-7"), ("0.000001", "0.000001"), ("123456789012345680000", "123456789012345680000"),
        ("4.50", "4.5"), ("2e-3", "0.002"), ("-1.5e-10", "-1.5e-10"), ("1e309", "1e309"),
    ])
    func serialisesNumbersAsECMAScriptDoes(literal: String, expected: String) {
        #expect(CanonicalJSON.string(.number(JSONNumber(literal: literal)!)) == expected)
    }

    @Test func escapesOnlyWhatItMust() {
        #expect(CanonicalJSON.string("é\u{1}\"\\\n/") == "\"é\\u0001\\\"\\\\\\n/\"")
    }

    @Test func reserialisedDocumentsHashTheSame() throws {
        let a = try JSONParser().parse(#"{"b":1.0,"a":"\u00e9"}"#)
        let b = try JSONParser().parse(#"{ "a" : "é", "b" : 1 }"#)
        #expect(CanonicalJSON.bytes(a) == CanonicalJSON.bytes(b))
    }

    @Test func extremeIntegersDoNotTrap() {
        #expect(CanonicalJSON.string(.number(JSONNumber(literal: "-9223372036854775808")!)) == "-9223372036854776000")
    }

    @Test func nonFiniteNumbersStayDistinctFromNull() {
        #expect(CanonicalJSON.string(.number(JSONNumber(literal: "1e400")!)) != CanonicalJSON.string(.null))
    }

    @Test(arguments: [
        #"{"a":1,"b":"x","c":[true,null,{"d":-7}]}"#, #"{"n":1.0}"#, #"{"n":[1,1e2]}"#, #"{"o":{"n":9007199254740993}}"#,
        #"{"n":-0}"#, #"{"n":100.0000000000000001}"#, #"{"n":0.5,"m":2}"#, #"[]"#,
        #"{"n":[0,-12,123456789012345,1234567890123456,-9007199254740993]}"#, #"{"n":-0.0}"#,
    ])
    func bothFormsAtOnceAreTheTwoFormsApart(_ text: String) throws {
        let value = try JSONParser().parse(text)
        let (exact, canonical) = CanonicalJSON.exactAndCanonical(value)
        #expect(exact == CanonicalJSON.exactString(value))
        #expect(canonical == CanonicalJSON.bytes(value))
    }
}
