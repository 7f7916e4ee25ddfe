import CountersignServer
import Foundation
import Testing

/// README, "Configuration" documents the settings table (`ServerSetting`) and cannot drift from
/// it: its table is `ServerSetting.markdownTable`, and its example refusal lists the known keys.
@Suite struct ServerSettingDocumentationTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Configuration
        .deletingLastPathComponent()  // CountersignServerTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent().appendingPathComponent("README.md")

    static func readmeLines() throws -> [Substring] {
        try String(contentsOf: readme, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    @Test func theReadmeTableIsTheSettingsTable() throws {
        let lines = try Self.readmeLines()
        let header = ServerSetting.markdownTable.prefix { $0 != "\n" }
        let starts = lines.indices.filter { lines[$0] == header }
        try #require(starts.count == 1, "README.md should hold the settings table once, headed \(header)")
        let table = lines[starts[0]...].prefix { $0.hasPrefix("|") }.joined(separator: "\n")
        #expect(
            table == ServerSetting.markdownTable,
            "README.md, \"Configuration\": the table should read\n\(ServerSetting.markdownTable)")
    }

    @Test func theReadmeRefusalListsTheKnownSettings() throws {
        let known = "known settings: " + ServerSetting.allCases.map(\.fileKey).joined(separator: ", ")
        #expect(try Self.readmeLines().contains { $0.hasSuffix(known) })
    }
}
