import CountersignCore

/// Registered clients. Each change is recorded in the audit log in the same transaction.
public protocol ClientStore: Sendable {
    /// The client with this id, or nil.
    func client(id: String) async throws -> OAuthClient?
    /// Every client, by id.
    func clients() async throws -> [OAuthClient]
    /// Throws `StoreError.conflict` when the id is taken.
    func create(_ client: OAuthClient, audit: AuditRecord) async throws
    /// Returns false (and records nothing) when there was no such client.
    func delete(id: String, audit: AuditRecord) async throws -> Bool
    /// Replaces a confidential client's secret hash; the replaced one stays accepted until
    /// `previousValidUntil` (milliseconds; nil: not at all). Returns false (and records nothing)
    /// when there is no such confidential client.
    func rotateSecret(id: String, hash: [UInt8], previousValidUntil: Instant?, audit: AuditRecord) async throws -> Bool
}
