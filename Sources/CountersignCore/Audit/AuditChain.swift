/// Checks an audit log event by event: each event's hash matches its canonical bytes, links
/// to the one before, and sequence numbers run without gaps. An edit, deletion, reordering or
/// insertion breaks one of these at the first affected event.
///
/// A truncated tail or a rewrite-and-rehash of the whole chain keeps the chain consistent;
/// those are caught only by comparing with a signed `AuditHead` saved elsewhere.
public struct AuditChainVerifier: Sendable {
    /// Why the chain is broken, and at which event.
    public struct Break: Error, Sendable, Equatable, CustomStringConvertible {
        /// The `seq` of the first event that does not fit the chain.
        public let seq: Int64
        /// What is wrong with it, for `audit verify` to print.
        public let reason: String
        /// The break as `audit verify` prints it.
        public var description: String { "event \(seq): \(reason)" }
    }

    /// How many events have been checked so far.
    public private(set) var count: Int64 = 0
    /// The hash of the last event checked: the next one's `prev_hash` must equal it.
    public private(set) var lastHash = AuditEvent.genesisHash
    /// The `seq` of the last event checked: the next one's must follow it.
    public private(set) var lastSeq: Int64 = 0

    /// A verifier at the start of the chain.
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
