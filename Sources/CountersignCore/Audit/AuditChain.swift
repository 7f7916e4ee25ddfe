/// Checks an audit log event by event: each event's hash matches its canonical bytes, links
/// to the one before, and sequence numbers run without gaps. An edit, deletion, reordering or
/// insertion breaks one of these at the first affected event.
///
/// A truncated tail or a rewrite-and-rehash of the whole chain keeps the chain consistent;
/// those are caught only by comparing with a signed `AuditHead` saved elsewhere.
public struct AuditChainVerifier: Sendable {
    /// Why the chain is broken, and at which event.
    public struct Break: Error, Sendable, Equatable, CustomStringConvertible {
        public let seq: Int64
        public let reason: String
        public var description: String { "event \(seq): \(reason)" }
    }

    public private(set) var count: Int64 = 0
    public private(set) var lastHash = AuditEvent.genesisHash
    public private(set) var lastSeq: Int64 = 0

    public init() {}

    /// Checks the next event in sequence order.
    public mutating func check(_ event: AuditEvent) throws(Break) {
        guard event.seq == lastSeq + 1 else {
            if event.seq <= lastSeq {
                throw Break(seq: event.seq, reason: "out of order after event \(lastSeq)")
            }
            throw Break(seq: lastSeq + 1, reason: "missing (next event present is \(event.seq))")
        }
        guard event.previousHash == lastHash else {
            throw Break(seq: event.seq, reason: "prev_hash does not match the hash of event \(lastSeq)")
        }
        guard event.computedHash == event.hash else {
            throw Break(seq: event.seq, reason: "content does not match its hash (edited)")
        }
        lastSeq = event.seq
        lastHash = event.hash
        count += 1
    }
}
