import Crypto
import Synchronization

/// Identity-provider tokens that `SubjectTokenVerifier` accepted, kept by the SHA-256 of their
/// exact bytes so that a user's token presented for many actions has its signature checked and
/// its JSON read once (the idea of Envoy's `jwt_authn` `jwt_cache_config`). A hit only skips
/// the work whose answer cannot change for the same bytes; `SubjectTokenVerifier` checks on every
/// use that the issuer is still trusted with the same settings, that the key which verified the
/// signature is still published under its `kid`, and `exp` and `nbf` against the clock.
/// Only accepted tokens are kept, so forged or broken ones cannot fill it. It is bounded: a token
/// over `maxTokenBytes` is never kept, and past `capacity` entries the oldest goes first.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let subject: VerifiedSubject
        /// The `kid` and `alg` of the header, and the key that verified the signature.
        let kid: String?
        let algorithm: String
        let keyMaterial: [UInt8]
        let expiresAt: Int64
        let notBefore: Int64?
    }

    struct Table: Sendable {
        var entries: [SHA256Digest: Entry] = [:]
        /// Insertion order, as a ring: the slot `next` names the oldest entry once it is full.
        var order: [SHA256Digest?]
        var next = 0
    }

    static let maxTokenBytes = 8 * 1024
    let capacity: Int
    let table: Mutex<Table>

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
        table = Mutex(Table(order: Array(repeating: nil, count: max(1, capacity))))
    }

    /// The key a token is kept under; nil for a token too large to keep.
    static func digest(_ token: String) -> SHA256Digest? {
        var token = token
        guard token.utf8.count <= maxTokenBytes else { return nil }
        return token.withUTF8 { SHA256.hash(data: $0) }
    }

    func entry(_ digest: SHA256Digest) -> Entry? {
        table.withLock { $0.entries[digest] }
    }

    func insert(_ digest: SHA256Digest, _ entry: Entry) {
        // What leaves the table is released after the lock, not while others wait for it.
        let released: Entry? = table.withLock { table in
            if let replaced = table.entries.updateValue(entry, forKey: digest) { return replaced }
            let evicted = table.order[table.next].flatMap { table.entries.removeValue(forKey: $0) }
            table.order[table.next] = digest
            table.next = (table.next + 1) % capacity
            return evicted
        }
        _ = released
    }

    var count: Int { table.withLock { $0.entries.count } }
}
