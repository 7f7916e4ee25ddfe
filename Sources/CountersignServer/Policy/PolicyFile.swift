import CountersignCore
import Crypto
import Foundation

/// The policy file as the server loads it: its bytes, their SHA-256 (recorded in the
/// `policy.loaded` audit event) and the checked policy. A file that does not load is refused
/// with every error as FILE:LINE:COLUMN: message, and the policy already running stays.
public struct PolicyFile: Sendable {
    /// The path the file was read from.
    public let path: String
    /// Lower-case hex SHA-256 of the bytes read, as `policy.loaded` records it.
    public let sha256: String
    /// The file's text.
    public let text: String
    /// The checked policy.
    public let policy: Policy

    /// The largest policy file accepted.
    public static let maxBytes = PolicyParser.maxBytes

    /// The bundled example policy (`Examples/policy.yaml`).
    public static var bundledExample: [UInt8] { PackageResources.example_policy_yaml }

    /// Reads and checks the file. A file over `maxBytes` is refused without being read past
    /// the limit, so it has no hash.
    public static func load(path: String) throws -> PolicyFile {
        let data: [UInt8]
        do {
            data = try LimitedFile.read(path, maxBytes: maxBytes)
        } catch LimitedFile.Failure.tooLarge {
            throw PolicyFileError("\(path): larger than \(maxBytes) bytes")
        } catch {
            throw PolicyFileError("\(path): cannot read the policy file")
        }
        let sha256 = Array(SHA256.hash(data: data)).hexString
        guard let text = String(validating: data, as: UTF8.self) else {
            throw PolicyFileError("\(path):1:1: the policy file is not valid UTF-8", sha256: sha256)
        }
        let policy: Policy
        do {
            policy = try PolicyParser.parse(text, file: path)
        } catch {
            throw PolicyFileError(error.description, errors: error.errors, sha256: sha256)
        }
        return PolicyFile(path: path, sha256: sha256, text: text, policy: policy)
    }

    /// Writes the bundled example when `path` does not exist yet; returns true when it did.
    @discardableResult
    public static func installExampleIfMissing(at path: String) throws -> Bool {
        guard !FileManager.default.fileExists(atPath: path) else { return false }
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(bundledExample), attributes: [.posixPermissions: 0o600])
        else { throw PolicyFileError("\(path): cannot write the example policy") }
        return true
    }

    /// The audit record of a load.
    func auditRecord(actor: String) -> AuditRecord {
        AuditRecord(type: "policy.loaded", actor: actor, data: ["path": .string(path), "sha256": .string(sha256)])
    }
}

/// A policy file that was refused, with its location.
public struct PolicyFileError: Error, CustomStringConvertible, Sendable {
    /// Every error, one per line, as FILE:LINE:COL: message.
    public let description: String
    /// The policy errors, when the file was read but its content refused.
    public let errors: [PolicyError]
    /// Lower-case hex SHA-256 of the refused bytes; nil when the file could not be read, or is
    /// larger than the limit (it is not read past it).
    public let sha256: String?

    /// A refusal saying `description`.
    public init(_ description: String, errors: [PolicyError] = [], sha256: String? = nil) {
        self.description = description
        self.errors = errors
        self.sha256 = sha256
    }

    /// The `policy.refused` audit record: which file, which bytes, how many errors; never
    /// the file's contents or the messages that quote them.
    func auditRecord(path: String, actor: String) -> AuditRecord {
        var data: [String: JSONValue] = ["path": .string(path), "errors": .number(JSONNumber(max(errors.count, 1)))]
        if let sha256 { data["sha256"] = .string(sha256) }
        return AuditRecord(type: "policy.refused", actor: actor, data: data)
    }
}
