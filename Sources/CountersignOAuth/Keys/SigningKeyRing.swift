import CountersignCore
import CountersignStore
import Crypto
import Synchronization

/// The server's view of its signing keys: the one active key that signs, and every key whose
/// public half is still published (the active one and retired ones whose tokens may still be
/// live). Reloaded from the store so a `keys rotate` made by the CLI reaches a running server.
public final class SigningKeyRing: Sendable {
    /// A key that can verify our tokens.
    struct VerificationKey: Sendable {
        let kid: String
        let algorithm: String
        let publicKey: P256.Signing.PublicKey
    }

    struct State: Sendable {
        var activeKid: String
        var signingKey: P256.Signing.PrivateKey
        /// The base64url JOSE header every token of the active key carries.
        var headerSegment: String
        var verificationKeys: [String: VerificationKey]
        var jwks: [UInt8]
        var loadedKids: Set<String>
    }

    let store: any SigningKeyStore
    let serverKey: ServerKey
    let state: Mutex<State>
    let clock: any WallClock

    init(store: any SigningKeyStore, serverKey: ServerKey, state: State, clock: any WallClock) {
        self.store = store
        self.serverKey = serverKey
        self.state = Mutex(state)
        self.clock = clock
    }

    /// Loads the keys, creating the first key of a new store.
    public static func load(
        store: any SigningKeyStore, serverKey: ServerKey, clock: any WallClock
    ) async throws -> SigningKeyRing {
        var stored = try await store.signingKeys()
        if Self.active(in: stored, at: clock.now()) == nil {
            try await KeyRotation.rotate(store: store, serverKey: serverKey, now: clock.now(), actor: "server")
            stored = try await store.signingKeys()
        }
        let state = try makeState(stored, serverKey: serverKey, now: clock.now())
        return SigningKeyRing(store: store, serverKey: serverKey, state: state, clock: clock)
    }

    /// Picks up keys added or retired by another process.
    public func reload() async throws {
        let stored = try await store.signingKeys()
        let current = state.withLock { $0.loadedKids }
        let now = clock.now()
        let visible = Set(Self.visible(stored, now: now).map(\.kid))
        guard visible != current || Self.active(in: stored, at: now)?.kid != activeKid else { return }
        let newState = try Self.makeState(stored, serverKey: serverKey, now: now)
        state.withLock { $0 = newState }
    }

    /// The kid that signs new tokens.
    public var activeKid: String { state.withLock { $0.activeKid } }

    /// The JWKS document (RFC 7517 §5) as served at `/jwks.json`.
    public var jwksDocument: [UInt8] { state.withLock { $0.jwks } }

    /// Signs claims with the active key as a compact JWS (RFC 7515 §7.1): header
    /// `{"alg":"ES256","kid":…,"typ":"at+jwt"}`, the claims as JSON, and the 64-byte R‖S
    /// signature (RFC 7518 §3.4). Signing and verification use swift-crypto directly, with no
    /// actor and no Foundation JSON coder on the path (docs/BENCHMARKS.md). Tokens are
    /// verified independently by joserfc in the end-to-end suite.
    func sign(_ claims: AccessTokenClaims) throws -> String {
        let (header, key) = state.withLock { ($0.headerSegment, $0.signingKey) }
        var input = header
        input.append(".")
        input.append(Base64URL.encode(JSONWriter.object(claims.jsonMembers)))
        let signature = try key.signature(for: Array(input.utf8))
        input.append(".")
        input.append(Base64URL.encode(signature.rawRepresentation))
        return input
    }

    /// The published key with this kid, if any.
    func verificationKey(kid: String) -> VerificationKey? {
        state.withLock { $0.verificationKeys[kid] }
    }

    /// Keys in the JWKS at `now`: pending, active, and retired ones whose tokens may still live.
    static func visible(_ stored: [StoredSigningKey], now: Instant) -> [StoredSigningKey] {
        stored.filter { $0.publishedUntil.map { $0 > now } ?? true }
    }

    /// The key that signs at `now`: the latest to have activated and not yet retired.
    static func active(in stored: [StoredSigningKey], at now: Instant) -> StoredSigningKey? {
        stored.filter { $0.activatesAt <= now && ($0.retiredAt.map { $0 > now } ?? true) }
            .max { ($0.activatesAt, $0.createdAt) < ($1.activatesAt, $1.createdAt) }
    }

    static func makeState(_ stored: [StoredSigningKey], serverKey: ServerKey, now: Instant) throws -> State {
        guard let active = active(in: stored, at: now) else {
            throw SigningKeyError("no active signing key in the store")
        }
        let privateKey = try SigningKeyMaterial.privateKey(of: active, serverKey: serverKey)
        let header = JSONWriter.object([
            ("alg", .string(active.algorithm)), ("kid", .string(active.kid)), ("typ", "at+jwt"),
        ])
        var verificationKeys: [String: VerificationKey] = [:]
        var jwks: [JSONValue] = []
        let visible = visible(stored, now: now)
        for key in visible {
            guard let jwk = try? JSONParser().parse(key.publicJWK), case .object(let members) = jwk,
                let x = members["x"]?.stringValue.flatMap({ Base64URL.decode(Array($0.utf8)) }),
                let y = members["y"]?.stringValue.flatMap({ Base64URL.decode(Array($0.utf8)) }),
                let publicKey = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
            else { throw SigningKeyError("the stored public key \(key.kid) is malformed") }
            verificationKeys[key.kid] = VerificationKey(kid: key.kid, algorithm: key.algorithm, publicKey: publicKey)
            jwks.append(jwk)
        }
        return State(
            activeKid: active.kid, signingKey: privateKey, headerSegment: Base64URL.encode(header),
            verificationKeys: verificationKeys,
            jwks: JSONWriter.object([("keys", .array(jwks))]), loadedKids: Set(visible.map(\.kid)))
    }
}
