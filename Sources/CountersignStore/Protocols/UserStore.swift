import CountersignCore

/// The people Countersign knows itself (approvers), and their personal API tokens, kept only
/// as keyed hashes.
public protocol UserStore: Sendable {
    /// Throws `StoreError.conflict` when the name is taken.
    func create(_ user: User, audit: AuditRecord) async throws
    /// The user with this name, or nil.
    func user(named name: String) async throws -> User?
    /// Every user, by name.
    func users() async throws -> [User]
    /// Makes a new personal token (by its hash) `user`'s one token: any earlier token of theirs
    /// stops working in the same transaction. `StoreError.notFound` when there is no such user.
    func replaceToken(hash: [UInt8], for user: String, createdAt: Instant, audit: AuditRecord) async throws
    /// Disables or enables a user: a disabled user's tokens stop working and their votes are
    /// refused. `StoreError.notFound` when there is no such user.
    func setDisabled(_ disabled: Bool, name: String, audit: AuditRecord) async throws
    /// The user a personal token (by its hash) belongs to.
    func user(tokenHash: [UInt8]) async throws -> User?
}
