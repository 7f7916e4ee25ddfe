import CountersignCore
import Crypto
import Foundation
import Yams

/// The policy file as the server loads it: its bytes, their SHA-256 (recorded in the
/// `policy.loaded` audit event) and a syntax check. A file that does not load is refused with
/// FILE:LINE:COLUMN and the policy already running stays.
public struct PolicyFile: Sendable, Equatable {
    public let path: String
    public let sha256: String
    public let text: String

    /// The largest policy file accepted.
    public static let maxBytes = 4 * 1024 * 1024

    /// The bundled example policy (`Examples/policy.yaml`).
    public static var bundledExample: [UInt8] { PackageResources.example_policy_yaml }

    public static func load(path: String) throws -> PolicyFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyFileError("\(path): cannot read the policy file")
        }
        guard data.count <= maxBytes else { throw PolicyFileError("\(path): larger than \(maxBytes) bytes") }
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            throw PolicyFileError("\(path):1:1: the policy file is not valid UTF-8")
        }
        do {
            guard let node = try Yams.compose(yaml: text), node.mapping != nil else {
                throw PolicyFileError("\(path):1:1: the policy must be a YAML mapping with version, actions and rules")
            }
        } catch let error as YamlError {
            throw PolicyFileError(Self.located(error, path: path))
        }
        return PolicyFile(path: path, sha256: Array(SHA256.hash(data: data)).hexString, text: text)
    }

    /// Writes the bundled example when `path` does not exist yet; returns true when it did.
    @discardableResult
    public static func installExampleIfMissing(at path: String) throws -> Bool {
        guard !FileManager.default.fileExists(atPath: path) else { return false }
        guard FileManager.default.createFile(
            atPath: path, contents: Data(bundledExample), attributes: [.posixPermissions: 0o600])
        else { throw PolicyFileError("\(path): cannot write the example policy") }
        return true
    }

    static func located(_ error: YamlError, path: String) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return "\(path):\(mark.line):\(mark.column): \(problem)"
        default:
            return "\(path):1:1: \(error)"
        }
    }

    /// The audit record of a load.
    func auditRecord(actor: String) -> AuditRecord {
        AuditRecord(type: "policy.loaded", actor: actor, data: ["path": .string(path), "sha256": .string(sha256)])
    }
}

/// A policy file that was refused, with its location.
public struct PolicyFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
