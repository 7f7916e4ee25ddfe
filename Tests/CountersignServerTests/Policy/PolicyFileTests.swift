import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Testing

@Suite struct PolicyFileTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-policy-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theEmbeddedExampleIsExamplesPolicyYAML() throws {
        let onDisk = try Data(contentsOf: Self.repository.appendingPathComponent("Examples/policy.yaml"))
        #expect(Array(onDisk) == PolicyFile.bundledExample)
    }

    @Test func brokenYAMLIsRefusedWithFileLineAndColumn() throws {
        let path = try write("version: 1\nrules:\n  - name: x\n   effect: allow\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try PolicyFile.load(path: path)
        } throws: { error in
            "\(error)".hasPrefix("\(path):4:")
        }
    }

    @Test func aPolicyThatIsNotUTF8OrNotAMappingIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-policy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xFE, 0x00]))
        #expect { _ = try PolicyFile.load(path: path) } throws: { "\($0)" == "\(path):1:1: the policy file is not valid UTF-8" }
        let list = try write("- 1\n")
        defer { try? FileManager.default.removeItem(atPath: list) }
        #expect { _ = try PolicyFile.load(path: list) } throws: {
            "\($0)" == "\(list):1:1: the policy must be a mapping (key: value) (found a list)"
        }
    }

    /// A holder of the bundled example, loaded once, over a real store in a temporary directory.
    func withLoadedExample(
        _ body: (_ store: SQLiteStore, _ path: String, _ holder: PolicyHolder, _ first: PolicyFile) async throws -> Void
    ) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await SQLiteStore.open(path: dir + "/db.sqlite")
        let path = dir + "/policy.yaml"
        try PolicyFile.installExampleIfMissing(at: path)
        let holder = PolicyHolder(path: path, audit: store)
        let first = try await holder.load(actor: "test")
        try await body(store, path, holder, first)
        await store.close()
    }

    @Test func aRefusedReloadKeepsTheRunningPolicyAndEveryLoadIsAudited() async throws {
        try await withLoadedExample { store, path, holder, first in
            try "version: [unclosed\n".write(toFile: path, atomically: true, encoding: .utf8)
            await #expect(throws: PolicyFileError.self) { try await holder.load(actor: "test") }
            #expect(holder.current?.sha256 == first.sha256)
            let events = try await store.events(after: 0, limit: 10)
            #expect(events.map(\.type) == ["policy.loaded", "policy.refused"])
            #expect(events.first?.data["sha256"] == .string(first.sha256))
            // The refusal names the bytes and counts the errors; it never holds the contents.
            let brokenHash = "9b75b6ad73be1e2a992bbf0fd89336de48cdb6a52fadced42bbe9e985c7b43f4"  // sha256sum of the broken file
            #expect(events.last?.data == ["path": .string(path), "sha256": .string(brokenHash), "errors": 1])
            #expect(events.last?.actor == "test")
        }
    }

    @Test func aPolicyOverTheLimitIsRefusedUnreadAndItsRefusalHasNoHash() async throws {
        try await withLoadedExample { store, path, holder, first in
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 300 * 1024 * 1024)  // sparse: 300 MB that cost no disk
            try handle.close()
            await #expect { try await holder.load(actor: "signal:SIGHUP") } throws: { "\($0)" == "\(path): larger than 4194304 bytes" }
            #expect(holder.current?.sha256 == first.sha256)
            // Its bytes past the limit were never read, so there is no hash to record.
            let events = try await store.events(after: 0, limit: 10)
            #expect(events.last?.type == "policy.refused")
            #expect(events.last?.data == ["path": .string(path), "errors": 1])
        }
    }
}
