import CountersignCore

/// The append-only, hash-chained audit log.
public protocol AuditLog: Sendable {
    /// Appends events that accompany no other state change (for example `token.issued`);
    /// returns once they are durable.
    func append(_ records: [AuditRecord]) async throws
    /// Events in sequence order, starting after `seq`.
    func events(after seq: Int64, limit: Int) async throws -> [AuditEvent]
    /// The last event's sequence number and hash; nil for an empty log.
    func head() async throws -> (seq: Int64, hash: String)?
}
