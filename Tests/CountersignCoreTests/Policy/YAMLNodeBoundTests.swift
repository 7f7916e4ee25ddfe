import Foundation
import Testing
import Yams

@testable import CountersignCore

/// The node count taken before Yams reads a policy is never below the nodes Yams makes, on
/// generated documents of every shape libyaml reads, and equal to them for the common ones.
@Suite struct YAMLNodeBoundTests {
    /// The nodes of a composed tree (documents without aliases, so no subtree is shared).
    static func nodes(_ node: Node) -> Int {
        switch node {
        case .scalar, .alias: 1
        case .sequence(let sequence): 1 + sequence.reduce(0) { $0 + nodes($1) }
        case .mapping(let mapping): 1 + mapping.reduce(0) { $0 + nodes($1.key) + nodes($1.value) }
        }
    }

    /// The count itself: the smallest limit it does not exceed.
    static func bound(_ text: String) -> Int {
        var low = 0
        var high = 1
        while YAMLNodeBound.firstExcess(over: high, in: text) != nil { high *= 2 }
        while low < high {
            let middle = (low + high) / 2
            if YAMLNodeBound.firstExcess(over: middle, in: text) == nil { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// SplitMix64, seeded: the same documents on every run.
    typealias Generator = PolicyPropertyTests.Generator

    /// Text made of the characters that mean something to libyaml, short enough that much of
    /// it is valid YAML of some odd shape.
    static func soup(_ random: inout Generator) -> String {
        let pieces = [
            "-", "- ", "?", "? ", ":", ": ", ",", ", ", "[", "]", "{", "}", " ", "  ", "\n", "\n  ", "\r", "\r\n", "\t",
            "a", "b", "#", "# c\n", "\"", "'", "\"q\"", "'s'", "!", "!t ", "&a ", "|", ">", "|\n  x\n", "---", "...",
            "1", "\u{85}", "\u{2028}", "\u{2029}", "x: ", "k:", "- k: ", "[a: b]", "{a, b}", "? k\n: v\n", "~",
        ]
        return (0..<Int.random(in: 1...24, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    /// A valid document: nested block and flow collections, empty values, explicit keys.
    static func document(_ random: inout Generator, depth: Int = 0, indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        func scalar() -> String { ["a", "\"q: r\"", "'s, t'", "1", "", "x y", "u:v", "-w"].randomElement(using: &random)! }
        func flow(_ depth: Int) -> String {
            guard depth < 3, Bool.random(using: &random) else { return scalar().isEmpty ? "z" : scalar() }
            let count = Int.random(in: 0...3, using: &random)
            if Bool.random(using: &random) {
                return "["
                    + (0..<count).map { _ in Bool.random(using: &random) ? "k: \(flow(depth + 1))" : flow(depth + 1) }
                    .joined(separator: ", ") + "]"
            }
            return "{"
                + (0..<count).map { i in Bool.random(using: &random) ? "k\(i): \(flow(depth + 1))" : "k\(i)" }
                .joined(separator: ", ") + "}"
        }
        guard depth < 4 else { return pad + flow(0) + "\n" }
        var lines = ""
        switch Int.random(in: 0...3, using: &random) {
        case 0:
            for i in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0...3, using: &random) {
                case 0: lines += "\(pad)k\(i):\n" + document(&random, depth: depth + 1, indent: indent + 2)
                case 1: lines += "\(pad)k\(i): \(flow(0))\n"
                case 2: lines += "\(pad)? k\(i)\n\(pad): \(scalar())\n"
                default: lines += "\(pad)k\(i):\n"
                }
            }
        case 1:
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0...3, using: &random) {
                case 0: lines += "\(pad)-\n" + document(&random, depth: depth + 1, indent: indent + 2)
                case 1: lines += "\(pad)- \(flow(0))\n"
                case 2: lines += "\(pad)- k: \(scalar())\n\(pad)  j: \(scalar())\n"
                default: lines += "\(pad)-\n"
                }
            }
        case 2: lines += pad + flow(0) + "\n"
        default: lines += "\(pad)- - \(scalar())\n\(pad)  - \(flow(0))\n"
        }
        return lines
    }

    static func check(_ text: String) {
        guard let root = try? Yams.compose(yaml: text, .basic) else { return }
        let made = nodes(root)
        #expect(YAMLNodeBound.firstExcess(over: made - 1, in: text) != nil, "\(made) nodes in \(text.debugDescription)")
    }

    @Test func theCountIsNeverBelowTheNodesOfAnyShape() {
        var random = Generator(state: 1)
        for _ in 0..<20_000 { Self.check(Self.soup(&random)) }
    }

    @Test func theCountIsNeverBelowTheNodesOfGeneratedDocuments() {
        var random = Generator(state: 2)
        for _ in 0..<3_000 { Self.check(Self.document(&random)) }
    }

    @Test(arguments: [
        ("k: v\nj: w\n", 6), ("- a\n- b\n- c\n", 5), ("- k: v\n  j: w\n", 7), ("a:\n  b:\n    - c\n", 7),
        ("members: [a, b]\n", 8), ("{a: 1, b}\n", 8),
    ])
    func commonShapesCountCloseToTheirNodes(yaml: String, count: Int) throws {
        let root = try #require(try Yams.compose(yaml: yaml, .basic))
        #expect(Self.bound(yaml) == count)
        #expect(Self.nodes(root) <= count)
    }

    @Test func theBundledPolicyCountsLessThanHalfAgainItsNodes() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Examples/policy.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let made = Self.nodes(try #require(try Yams.compose(yaml: text, .basic)))
        #expect(made <= Self.bound(text) && Self.bound(text) * 2 <= made * 3)
    }

    @Test func marksCountInQuotesAndCommentsToo() {
        #expect(Self.bound("a: \"b, c: d\"  # e, f\n") == 2 + 1 + 1 + 2 + 1 + 2)
    }

    @Test func theExcessIsPlacedAtTheMarkThatCrossesTheLimit() {
        let text = "k: v\r\né: [a, b]\n"
        #expect(YAMLNodeBound.firstExcess(over: 4, in: text) == SourceLocation(line: 2, column: 1))
        #expect(YAMLNodeBound.firstExcess(over: 5, in: text) == SourceLocation(line: 2, column: 2))
        #expect(YAMLNodeBound.firstExcess(over: 7, in: text) == SourceLocation(line: 2, column: 6))
        #expect(YAMLNodeBound.firstExcess(over: 10, in: text) == nil)
    }
}
