import CountersignCore

/// External identity providers whose tokens are accepted as subjects. Each change is recorded
/// in the audit log in the same transaction.
public protocol TrustedIssuerStore: Sendable {
    /// Every trusted issuer, by URL.
    func trustedIssuers() async throws -> [TrustedIssuer]
    /// Throws `StoreError.conflict` when the issuer is already trusted.
    func add(_ issuer: TrustedIssuer, audit: AuditRecord) async throws
    /// Returns false (and records nothing) when there was no such issuer.
    func deleteIssuer(_ issuer: String, audit: AuditRecord) async throws -> Bool
}
