@testable import CountersignCore

/// Reaches the internal alias scan from the tests.
enum YAMLAliasScanProbe {
    static func first(_ text: String) -> String? {
        YAMLAliasScan.firstAlias(in: text).map { "\($0)" }
    }
}
