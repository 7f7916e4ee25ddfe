import CountersignCore
import Testing

/// Anchors and aliases are refused wherever libyaml would read them, before Yams composes the
/// document: JSON-style flow mappings, keys after a block scalar, lone CR line breaks.
@Suite struct YAMLAliasScanTests {
    static let aliasMessage =
        "aliases (*name) are not allowed in a policy: write the value out (quote a string that starts with *)"

    @Test(arguments: [
        ("{\"k\":*x}\n", "1:6"),
        ("a: {\"k\":*x, 'j':*y}\n", "1:9"),
        ("- d: |\n    text\n  l1: *a\n", "3:7"),
        ("- d: >-\n      folded\n  l1: [*a]\n", "3:8"),
        ("[1,\r*x]\n", "2:1"),
        ("a: 1\rb: *x\r", "2:4"),
        ("a: [1,\u{2028}*x]\n", "2:1"),
        ("a:\n- *x\n", "2:3"),
        ("\u{FEFF}a: *x\n", "1:5"),
        ("base: &b\n  a: 1\nother:\n  <<: *b\n", "4:7"),
    ])
    func aliasesInFormsLibyamlAcceptsAreFound(yaml: String, position: String) {
        #expect(YAMLAliasScanProbe.refusal(yaml) == "\(position): \(Self.aliasMessage)")
    }

    @Test(arguments: [
        ("a: &x 1\n", "1:4"), ("{\"k\":&x 1}\n", "1:6"), ("- d: |\n    t\n  e: &x 1\n", "3:6"), ("[1,\r&x 2]\n", "2:1"),
    ])
    func anchorsAloneAreRefusedToo(yaml: String, position: String) {
        #expect(
            YAMLAliasScanProbe.refusal(yaml)
                == "\(position): anchors (&name) are not allowed in a policy: write the value out (quote a string that starts with &)")
    }

    @Test(arguments: [
        "a: \"x&y *z\"\n", "a: b&c\n", "a: {\"k\": \"*x\"}\n", "- d: |\n    *x &y\n  e: f\n", "a: [\"*\",\r'&']\n",
        "a: 'it''s *x'\n", "# &x *y\na: 1\n",
    ])
    func starsAndAmpersandsThatAreTextPass(yaml: String) {
        #expect(YAMLAliasScanProbe.refusal(yaml) == nil)
    }

    @Test func aStarTheCopyCannotReadRefusesTheFile() {
        #expect(
            YAMLAliasScanProbe.refusal("a: !t*x 1\n")
                == "1:6: invalid YAML: did not find expected whitespace or line break")
    }

    /// A billion-laughs document whose aliases all sit in one of the forms above, and whose last
    /// level is used inside a mapping key, so composing it would hash 8^9 nodes.
    static func bomb(_ form: String, levels: Int = 9) -> String {
        var lines = ["version: 1", "actions: { a: {} }"]
        func level(_ i: Int) -> String {
            switch form {
            case "json":
                return "y\(i): &y\(i) {" + (0..<8).map { "\"k\($0)\":*y\(i - 1)" }.joined(separator: ",") + "}"
            case "cr":
                return "y\(i): &y\(i) [0," + Array(repeating: "\r*y\(i - 1)", count: 8).joined(separator: ",") + "]"
            default:
                return "    y\(i): &y\(i) [" + Array(repeating: "*y\(i - 1)", count: 8).joined(separator: ", ") + "]"
            }
        }
        switch form {
        case "json":
            lines.append("y0: &y0 {\"a\":1}")
            lines += (1...levels).map(level)
            lines += ["? {\"k\":*y\(levels)}", ": 1"]
        case "cr":
            lines.append("y0: &y0 [1]")
            lines += (1...levels).map(level)
            lines += ["? [0,\r*y\(levels)]", ": 1"]
        default:
            lines += ["y0: &y0 [1]", "list:", "  - d: |", "      text"]
            lines += (1...levels).map(level)
            lines += ["    ? *y\(levels)", "    : 1"]
        }
        lines.append("rules: []")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(.timeLimit(.minutes(1)), arguments: [("json", "4:15"), ("block", "7:14"), ("cr", "5:1")])
    func aBombInEachFormIsRefusedBeforeItIsComposed(form: String, position: String) {
        do {
            _ = try PolicyParser.parse(Self.bomb(form), file: "p.yaml")
            Issue.record("the bomb loaded")
        } catch {
            #expect(error.errors.map(\.description) == ["\(position): \(Self.aliasMessage)"])
        }
    }
}
