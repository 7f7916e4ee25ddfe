@testable import CountersignCore

/// Reaches the internal anchor and alias check from the tests.
enum YAMLAliasScanProbe {
    /// Where the check refuses the text, or nil when it lets it through.
    static func first(_ text: String) -> String? {
        YAMLAliasScan.refusal(in: text).map { "\($0.location)" }
    }

    /// The refusal as `LINE:COL: message`.
    static func refusal(_ text: String) -> String? {
        YAMLAliasScan.refusal(in: text).map(\.description)
    }
}
