import CountersignCore
import Foundation

/// The data directory: the SQLite database, the server key and the active policy.
/// Created with owner-only permissions on first use.
public struct DataDirectory: Sendable {
    /// The directory itself.
    public let url: URL

    /// The data directory at `path`; nothing is touched until `prepare()`.
    public init(path: String) {
        self.url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The SQLite database (docs/ARCHITECTURE.md, "The data directory").
    public var databasePath: String { url.appendingPathComponent("countersign.sqlite").path }
    /// The 32-byte root secret every purpose key derives from (`ServerKey`).
    public var serverKeyPath: String { url.appendingPathComponent("server.key").path }
    /// The policy in force unless `--policy` points elsewhere.
    public var policyPath: String { url.appendingPathComponent("policy.yaml").path }

    /// Creates the directory (mode 0700) when missing; returns true when it is new: created now,
    /// or there already but empty (made beforehand, as a mounted volume or `mkdir -p` is; then
    /// it is made owner-only too).
    @discardableResult
    public func prepare() throws -> Bool {
        // Everything this process creates (database, WAL, keys, policy) is owner-only.
        umask(0o077)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataDirectoryError("\(url.path) exists and is not a directory")
            }
            guard (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty == true else { return false }
            // Owner-only like a directory this process creates (where it may: a mount point may refuse).
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
            return true
        }
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DataDirectoryError("cannot create data directory \(url.path): \(error.localizedDescription)")
        }
        return true
    }

    /// Reads the server key, creating it (mode 0600) on first use. Two processes starting on a
    /// new directory at once agree on one key: it is written to a temporary file and linked into
    /// place, which fails if the other process got there first, and then that key is read.
    public func serverKey() throws -> ServerKey {
        let path = serverKeyPath
        if let existing = try readServerKey(path) { return existing }
        let bytes = ServerKey.generateRawBytes()
        // Unique per attempt, not per process: two threads of one process may race here too.
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0 ... .max)).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data((Base64URL.encode(bytes) + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw DataDirectoryError("cannot write the server key to \(path)") }
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            guard errno == EEXIST, let winner = try readServerKey(path) else {
                throw DataDirectoryError("cannot write the server key to \(path)")
            }
            return winner
        }
        return ServerKey(rawBytes: bytes)
    }

    func readServerKey(_ path: String) throws -> ServerKey? {
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Base64URL.decode(Array(text.utf8)), bytes.count == 32 else {
                throw DataDirectoryError("\(path) is not a valid server key (expected 32 bytes, base64url)")
            }
            return ServerKey(rawBytes: bytes)
        }
        return nil
    }
}

/// A data directory that cannot be used, with the reason for the operator.
public struct DataDirectoryError: Error, CustomStringConvertible, Sendable {
    /// What is wrong with the directory, for the operator.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
