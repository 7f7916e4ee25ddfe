import Crypto

/// A checkpoint of the audit chain's head, signed (HMAC-SHA-256) with the server key, to be
/// kept outside the database. `audit verify --head FILE` proves that the chain still contains
/// this exact event, so tail truncation and a rewrite-and-rehash are caught.
public struct AuditHead: Sendable, Equatable, Codable {
    /// The `seq` of the checkpointed event.
    public var seq: Int64
    /// That event's hash, which the chain must still contain at `seq`.
    public var hash: String
    /// When the checkpoint was taken.
    public var time: Instant
    /// Base64url HMAC-SHA-256 under `ServerKey.auditHeadKey` (docs/ARCHITECTURE.md, "The audit chain").
    public var signature: String

    /// A checkpoint as `audit head` prints it or `audit verify --head` reads it.
    public init(seq: Int64, hash: String, time: Instant, signature: String) {
        self.seq = seq
        self.hash = hash
        self.time = time
        self.signature = signature
    }

    /// Signs a head with a key derived from the server key for this purpose only.
    public static func signed(seq: Int64, hash: String, time: Instant, serverKey: SymmetricKey) -> AuditHead {
        var head = AuditHead(seq: seq, hash: hash, time: time, signature: "")
        head.signature = head.expectedSignature(serverKey: serverKey)
        return head
    }

    /// True when the signature was made with this server key (constant-time comparison).
    public func hasValidSignature(serverKey: SymmetricKey) -> Bool {
        let expected = Array(expectedSignature(serverKey: serverKey).utf8)
        let given = Array(signature.utf8)
        return ConstantTime.equal(expected, given)
    }

    func expectedSignature(serverKey: SymmetricKey) -> String {
        let message: JSONValue = [
            "purpose": "countersign audit head",
            "seq": .number(JSONNumber(seq)),
            "hash": .string(hash),
            "time": .number(JSONNumber(time.millisecondsSince1970)),
        ]
        let mac = HMAC<SHA256>.authenticationCode(for: CanonicalJSON.bytes(message), using: serverKey)
        return Array(mac).hexString
    }
}
