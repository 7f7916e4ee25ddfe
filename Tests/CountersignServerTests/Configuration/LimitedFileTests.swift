import CountersignServer
import Foundation
import Testing

/// A file with a size limit is never read past it, whatever it is.
@Suite struct LimitedFileTests {
    func temporaryFile(size: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-limited-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x61, count: min(size, 16))))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size))  // sparse past the first bytes: no disk, any size
        try handle.close()
        return path
    }

    @Test func aFileAtTheLimitIsReadWhole() throws {
        let path = try temporaryFile(size: 1000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try LimitedFile.read(path, maxBytes: 1000)
        #expect(bytes.count == 1000 && bytes.prefix(16).allSatisfy { $0 == 0x61 })
    }

    @Test func aRegularFileOverTheLimitIsRefusedBySize() throws {
        let path = try temporaryFile(size: 300 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: LimitedFile.Failure.tooLarge) { try LimitedFile.read(path, maxBytes: 1000) }
    }

    @Test func aFileThatNeverEndsIsRefusedAtTheLimit() {
        #expect(throws: LimitedFile.Failure.tooLarge) { try LimitedFile.read("/dev/zero", maxBytes: 4 * 1024 * 1024) }
    }

    @Test func aMissingFileOrADirectoryIsUnreadable() {
        #expect(throws: LimitedFile.Failure.unreadable) { try LimitedFile.read("/nonexistent/policy.yaml", maxBytes: 10) }
        #expect(throws: LimitedFile.Failure.unreadable) { try LimitedFile.read(NSTemporaryDirectory(), maxBytes: 10) }
    }
}
