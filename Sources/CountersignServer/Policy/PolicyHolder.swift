import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging
import Synchronization

/// The policy in force. A reload that fails leaves the running policy in place; every
/// successful load is a `policy.loaded` audit event carrying the file's SHA-256, every refused
/// one a `policy.refused` event with the SHA-256 and the number of errors.
public final class PolicyHolder: PolicySource {
    let path: String
    let audit: any AuditLog
    let state = Mutex<PolicyFile?>(nil)

    /// A holder of the policy at `path`, recording loads in `audit`; nothing is loaded yet.
    public init(path: String, audit: any AuditLog) {
        self.path = path
        self.audit = audit
    }

    /// The file in force; nil before the first load.
    public var current: PolicyFile? { state.withLock { $0 } }

    /// The policy in force (`PolicySource`); nil before the first load.
    public var currentPolicy: Policy? { state.withLock { $0?.policy } }

    /// Loads the file and records the load; records the refusal and throws (keeping the old
    /// policy) when it is refused.
    @discardableResult
    public func load(actor: String) async throws -> PolicyFile {
        let file: PolicyFile
        do {
            file = try PolicyFile.load(path: path)
        } catch let refusal as PolicyFileError {
            try await audit.append([refusal.auditRecord(path: path, actor: actor)])
            throw refusal
        }
        return try await install(file, actor: actor)
    }

    /// Puts an already loaded file in force and records the load.
    @discardableResult
    public func install(_ file: PolicyFile, actor: String) async throws -> PolicyFile {
        try await audit.append([file.auditRecord(actor: actor)])
        state.withLock { $0 = file }
        return file
    }
}
