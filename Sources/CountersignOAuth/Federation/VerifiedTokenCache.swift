import CountersignCore
import Crypto
import Synchronization

/// Identity-provider tokens that `SubjectTokenVerifier` accepted, kept by the SHA-256 of their
/// exact bytes so that a user's token presented for many actions has its signature checked and
/// its JSON read once (the idea of Envoy's `jwt_authn` `jwt_cache_config`). A hit only skips
/// the work whose answer cannot change for the same bytes; `SubjectTokenVerifier.stillValid`
/// checks on every use that the issuer is still trusted with the same settings, that the key
/// which verified the signature is still published under its `kid`, and the token's times
/// against the clock. Only accepted tokens are kept, so forged or broken ones cannot fill it.
/// It is bounded twice, oldest out first: at most `capacity` entries, and at most
/// `budgetBytes` of their estimated size in memory (`Entry.cost`), so tokens bloated with
/// claims cannot hold much memory either; a token over `maxTokenBytes` is never kept.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let subject: VerifiedSubject
        /// The `kid` and `alg` of the header, and the key that verified the signature.
        let kid: String?
        let algorithm: String
        let keyMaterial: [UInt8]
        /// `exp`, and below the latest of `nbf`, `iat` and `auth_time`: JWT NumericDates (seconds).
        let expiresAt: Int64
        /// The latest of `nbf`, `iat` and `auth_time`: none may lie beyond the clock (plus skew).
        let latestStart: Int64?
        /// An estimate of the bytes it holds: the claims as parsed and as policy values.
        let cost: Int
    }

    struct Table: Sendable {
        var entries: [SHA256Digest: Entry] = [:]
        /// Digests in insertion order from `head` on; some may have left `entries` already.
        var order: [SHA256Digest] = []
        var head = 0
        var bytes = 0
    }

    static let maxTokenBytes = 8 * 1024
    /// What one parsed JSON value and its policy value may cost, with their dictionary slots.
    static let bytesPerValue = 128
    let capacity: Int
    let budgetBytes: Int
    let table = Mutex(Table())

    init(capacity: Int = 4096, budgetBytes: Int = 16 * 1024 * 1024) {
        self.capacity = max(1, capacity)
        self.budgetBytes = budgetBytes
    }

    /// The key a token is kept under; nil for a token too large to keep.
    static func digest(_ token: String) -> SHA256Digest? {
        var token = token
        guard token.utf8.count <= maxTokenBytes else { return nil }
        return token.withUTF8 { SHA256.hash(data: $0) }
    }

    /// The estimated size of an entry for a token of `tokenBytes` with these claims.
    static func cost(tokenBytes: Int, claims: [String: JSONValue]) -> Int {
        func values(_ value: JSONValue) -> Int {
            switch value {
            case .array(let items): 1 + items.reduce(0) { $0 + values($1) }
            case .object(let members): 1 + members.values.reduce(0) { $0 + values($1) }
            default: 1
            }
        }
        return tokenBytes + bytesPerValue * claims.values.reduce(1) { $0 + values($1) }
    }

    func entry(_ digest: SHA256Digest) -> Entry? {
        table.withLock { $0.entries[digest] }
    }

    func insert(_ digest: SHA256Digest, _ entry: Entry) {
        guard entry.cost <= budgetBytes else { return }
        // What leaves the table is released after the lock, not while others wait for it.
        var released: [Entry] = []
        table.withLock { table in
            if let replaced = table.entries.updateValue(entry, forKey: digest) {
                table.bytes += entry.cost - replaced.cost
                released.append(replaced)
                return
            }
            table.bytes += entry.cost
            table.order.append(digest)
            while table.entries.count > capacity || table.bytes > budgetBytes, table.head < table.order.count {
                let oldest = table.order[table.head]
                table.head += 1
                if let evicted = table.entries.removeValue(forKey: oldest) {
                    table.bytes -= evicted.cost
                    released.append(evicted)
                }
            }
            // The consumed front of `order` is dropped once it is as long as what it keeps.
            if table.head > capacity, table.head * 2 > table.order.count {
                table.order.removeFirst(table.head)
                table.head = 0
            }
        }
        _ = released
    }

    var count: Int { table.withLock { $0.entries.count } }
    var bytes: Int { table.withLock { $0.bytes } }
}
