import CountersignCore
import Crypto
import Synchronization

/// Decision reuse (docs/POLICY.md, `grant.reuse`): an allow whose rules set `reuse` answers an
/// identical request for that long without evaluating again, in this process only and only
/// under the same policy. Identical means everything the policy may read of the request but
/// the time: the request itself, the subject's claims (roles, acr, auth_time) and address.
final class DecisionReuse: Sendable {
    /// An allow kept for reuse.
    struct Remembered: Sendable {
        var terms: GrantTerms
        var ruleNames: [String]
        var expiresAt: Instant
        var policy: Policy
    }

    static let maxRemembered = 10_000
    let clock: any WallClock
    private let table = Mutex<[String: Remembered]>([:])

    init(clock: any WallClock) {
        self.clock = clock
    }

    /// Claims that differ from one IdP token to the next for the same sign-in (RFC 7519 §4.1,
    /// OpenID Connect Core §2 and §3.3.2.11): left out of the key, or reuse would only hit for
    /// the byte-identical subject token. `auth_time`, `acr`, roles and the like stay in.
    static let perTokenClaims: Set<String> = ["iat", "exp", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash"]

    /// The key of a request whose rules may grant reuse, from its context digest.
    static func key(digest: String, subject: ActionSubject, remoteAddress: String?) -> String {
        let claims = JSONValue.object(subject.claims.filter { !perTokenClaims.contains($0.key) }.mapValues(\.json))
        let input: JSONValue = ["digest": .string(digest), "claims": claims, "ip": .optional(remoteAddress)]
        return SHA256.hash(data: Array(CanonicalJSON.exactString(input).utf8)).hexString
    }

    /// The allow kept under `key`, if it is still good under `policy` at `now`.
    func recall(_ key: String, policy: Policy, now: Instant) -> Remembered? {
        table.withLock { table in
            guard let hit = table[key] else { return nil }
            guard hit.expiresAt > now, hit.policy === policy else {
                table[key] = nil
                return nil
            }
            return hit
        }
    }

    /// Keeps an allow for `seconds` once its token is issued; never a one-time grant.
    func remember(_ key: String, terms: GrantTerms, ruleNames: [String], seconds: Int, policy: Policy) {
        guard seconds > 0, !terms.oneTime else { return }
        let now = clock.now()
        table.withLock { table in
            if table.count >= Self.maxRemembered { table = table.filter { $0.value.expiresAt > now } }
            guard table.count < Self.maxRemembered else { return }
            table[key] = Remembered(terms: terms, ruleNames: ruleNames, expiresAt: now + .seconds(seconds), policy: policy)
        }
    }
}
