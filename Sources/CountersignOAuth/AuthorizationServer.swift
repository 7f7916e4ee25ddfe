import CountersignCore
import CountersignStore
import Logging
import Synchronization

/// The protocol side of Countersign assembled from its parts: the endpoints, the caches they
/// share and the stores behind them. The HTTP server only routes to these.
public final class AuthorizationServer: Sendable {
    /// What the protocol needs of the store.
    public typealias Store = ClientStore & SigningKeyStore & RevokedTokenStore & AuditLog & TrustedIssuerStore
        & OneTimeTokenStore & ApprovalRequestStore & UserStore

    /// The issuer identifier (RFC 8414 §2) every token and document names.
    public let issuer: String
    /// `POST /token` (RFC 6749 §3.2).
    public let token: TokenEndpoint
    /// `POST /introspect` (RFC 7662).
    public let introspection: IntrospectionEndpoint
    /// `POST /revoke` (RFC 7009).
    public let revocation: RevocationEndpoint
    /// The discovery documents (RFC 8414, OpenID Connect Discovery).
    public let discovery: DiscoveryEndpoint
    /// The signing keys and the published JWKS (docs/ARCHITECTURE.md, "Signing keys and rotation").
    public let keys: SigningKeyRing
    /// Registered clients, cached (docs/ARCHITECTURE.md, "Caches and their staleness").
    public let directory: ClientDirectory
    /// Revoked token ids, cached and written through.
    public let revocations: RevocationList
    /// Trusted issuers, cached.
    public let issuers: IssuerDirectory
    /// Trusted issuers' keys, fetched and cached.
    public let issuerKeys: IssuerKeyCache
    /// `POST /bc-authorize` (OpenID CIBA Core §7).
    public let backchannel: BackchannelAuthenticationEndpoint
    /// The CIBA grant: polls and redemptions, also a push delivery's redemption.
    public let ciba: CIBAGrant
    /// Failed authentications per address, for clients and approvers alike (RFC 6749 §10.10).
    public let throttle: FailedAuthenticationThrottle
    let store: any Store
    let clock: any WallClock
    let logger: Logger

    /// Loads keys (creating the first), clients and revocations from the store.
    public init(
        issuer: String, store: any Store, serverKey: ServerKey, clock: any WallClock,
        policies: any PolicySource, approvals: any ApprovalSteps, fetcher: any IssuerDocumentFetching,
        jwksCooldownSeconds: Int = 30, logger: Logger
    ) async throws {
        self.issuer = issuer
        self.logger = logger
        self.store = store
        self.clock = clock
        keys = try await SigningKeyRing.load(store: store, serverKey: serverKey, clock: clock)
        directory = ClientDirectory(store: store)
        try await directory.reload()
        revocations = RevocationList(store: store, clock: clock)
        try await revocations.reload()
        // One count of failed authentications per address, for clients and approvers alike.
        throttle = FailedAuthenticationThrottle(audit: store)
        let authenticator = ClientAuthenticator(directory: directory, serverKey: serverKey, throttle: throttle, clock: clock)
        let minter = AccessTokenMinter(issuer: issuer, keys: keys, audit: store, clock: clock)
        let verifier = AccessTokenVerifier(keys: keys, issuer: issuer, clock: clock)
        issuerKeys = IssuerKeyCache(fetcher: fetcher, cooldownSeconds: jwksCooldownSeconds, clock: clock, logger: logger)
        issuers = IssuerDirectory(store: store, keys: issuerKeys)
        try await issuers.reload()
        let issuance = ActionIssuance(
            policies: policies, directory: directory, decider: ActionDecider(audit: store, clock: clock),
            opening: ApprovalOpening(steps: approvals, clock: clock), minter: minter)
        let subjects = SubjectTokenVerifier(issuers: issuers, keys: issuerKeys, ownIssuer: issuer, clock: clock)
        ciba = CIBAGrant(approvals: store, steps: approvals, minter: minter, revocations: revocations, clock: clock)
        let parts = ServedGrants.Parts(minter: minter, directory: directory, issuance: issuance, subjects: subjects, ciba: ciba)
        token = TokenEndpoint(authenticator: authenticator, logger: logger, grants: ServedGrants.handlers.map { $0.make(parts) })
        backchannel = BackchannelAuthenticationEndpoint(
            authenticator: authenticator, issuance: issuance, subjects: subjects, users: store, serverKey: serverKey,
            ownIssuer: issuer, logger: logger)
        introspection = IntrospectionEndpoint(
            authenticator: authenticator, logger: logger, verifier: verifier, revocations: revocations, oneTimeTokens: store)
        revocation = RevocationEndpoint(authenticator: authenticator, logger: logger, verifier: verifier, revocations: revocations)
        discovery = DiscoveryEndpoint(issuer: issuer, grantTypes: token.grantTypes, policies: policies)
    }

    /// The JWKS document (RFC 7517 §5).
    public var jwksResponse: OAuthResponse {
        .json(keys.jwksDocument, headers: [("Cache-Control", "public, max-age=60")])
    }

    /// Picks up what other processes changed in the store (clients, keys, revocations).
    public func refresh() async {
        do { try await directory.reload() } catch {
            logger.warning("reloading clients failed", metadata: ["error": "\(error)"])
        }
        do { try await keys.reload() } catch {
            logger.warning("reloading signing keys failed", metadata: ["error": "\(error)"])
        }
        do { try await revocations.reload() } catch {
            logger.warning("reloading revocations failed", metadata: ["error": "\(error)"])
        }
        do {
            // An issuer deleted or changed by the CLI: its cached keys go too (in reload).
            try await issuers.reload()
        } catch {
            logger.warning("reloading trusted issuers failed", metadata: ["error": "\(error)"])
        }
    }

    /// Forgets revocations of tokens that have expired.
    public func purge() async {
        do {
            try await revocations.purgeExpired()
            _ = try await store.purgeExpiredConsumptions(now: clock.now())
        } catch {
            logger.warning("purging expired revocations failed", metadata: ["error": "\(error)"])
        }
    }
}
