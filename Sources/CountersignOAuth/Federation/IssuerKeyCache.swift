import CountersignCore
import Logging
import Synchronization

/// The keys of every trusted issuer, fetched on first use and kept for the JWKS's HTTP cache
/// lifetime (clamped to 1 minute – 1 day; 10 minutes when it states none). A token naming a
/// `kid` the cache does not know triggers one refetch, at most once per `cooldown` per issuer,
/// so a flood of random `kid`s costs the IdP nothing. Concurrent misses share
/// one fetch, and none of them waits longer than `refreshDeadline` for it, however the fetcher
/// behaves. Every URL fetched must pass `OutboundURLPolicy` (https, or http to loopback; never a
/// link-local address), a `jwks_uri` read from discovery included. When the keys cannot be had
/// (IdP down, slow, answering garbage, a refused URL) and the cached ones are past their
/// lifetime, lookups fail closed: no token is accepted unverified.
public final class IssuerKeyCache: Sendable {
    enum Lookup: Sendable {
        case key(IssuerKey)
        case unknownKey
        case unavailable(String)
    }

    struct Entry: Sendable {
        var keys: [IssuerKey] = []
        /// The keys are good until then; the epoch for never fetched successfully.
        var freshUntil: Instant = .epoch
        var lastAttempt: Instant = Instant(millisecondsSince1970: .min)
        var lastFailure: String?
        var jwksURI: String?
    }

    static let defaultLifetime: Int64 = 600
    static let lifetimeRange: ClosedRange<Int64> = 60...86_400

    let fetcher: any IssuerDocumentFetching
    let clock: any WallClock
    /// The least time between two fetches of one issuer's keys (a failed fetch included).
    let cooldown: Duration
    /// The longest a lookup waits for a refresh (discovery and JWKS together).
    let refreshDeadline: Duration
    let logger: Logger
    let entries = Mutex<[String: Entry]>([:])
    /// Bumped by `forget`: a fetch that started before stores nothing.
    let generations = Mutex<[String: Int]>([:])
    let inFlight = Mutex<[String: Task<Entry, Never>]>([:])

    /// A cache fetching through `fetcher`, with the refetch `cooldownSeconds` and `refreshDeadline` described above.
    public init(
        fetcher: any IssuerDocumentFetching, cooldownSeconds: Int = 30, refreshDeadline: Duration = .seconds(5),
        clock: any WallClock, logger: Logger
    ) {
        self.fetcher = fetcher
        self.cooldown = .seconds(cooldownSeconds)
        self.refreshDeadline = refreshDeadline
        self.clock = clock
        self.logger = logger
    }

    /// The key that verifies a token of `issuer` with this header `kid` and `alg`.
    func key(issuer: TrustedIssuer, kid: String?, alg: String) async -> Lookup {
        let now = clock.now()
        let cached = entries.withLock { $0[issuer.issuer] }
        if let cached, now < cached.freshUntil {
            if let key = Self.find(cached.keys, kid: kid, alg: alg) { return .key(key) }
            guard now - cached.lastAttempt >= cooldown else { return .unknownKey }
        } else if let cached, now - cached.lastAttempt < cooldown, let failure = cached.lastFailure {
            return .unavailable(failure)
        }
        let entry = await refresh(issuer)
        if clock.now() < entry.freshUntil {
            return Self.find(entry.keys, kid: kid, alg: alg).map(Lookup.key) ?? .unknownKey
        }
        return .unavailable(entry.lastFailure ?? "no keys")
    }

    /// A key with this `kid`; without a `kid`, the only key of that algorithm.
    static func find(_ keys: [IssuerKey], kid: String?, alg: String) -> IssuerKey? {
        if let kid { return keys.first { $0.kid == kid } }
        let candidates = keys.filter { $0.algorithm == alg }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// Forgets an issuer's keys (it was deleted or changed).
    func forget(_ issuer: String) {
        generations.withLock { $0[issuer, default: 0] += 1 }
        entries.withLock { $0[issuer] = nil }
    }

    /// Fetches the issuer's keys once, however many lookups wait for them, and none longer
    /// than `refreshDeadline`: past it the fetch is abandoned (cancelled) and recorded as failed,
    /// so the lookups after it fail fast for the cooldown instead of joining a hung fetch.
    func refresh(_ issuer: TrustedIssuer) async -> Entry {
        let started = clock.now()
        let generation = generations.withLock { $0[issuer.issuer, default: 0] }
        let task = inFlight.withLock { tasks -> Task<Entry, Never> in
            if let running = tasks[issuer.issuer] { return running }
            let task = Task { await self.fetch(issuer) }
            tasks[issuer.issuer] = task
            return task
        }
        guard let entry = await withDeadline(refreshDeadline, { await task.value }) else {
            // A caller cancelled (the server stopping) leaves the shared fetch to the others.
            if Task.isCancelled { return entries.withLock { $0[issuer.issuer] } ?? Entry() }
            task.cancel()
            return timedOut(issuer, task: task, started: started, generation: generation)
        }
        finished(issuer, task: task)
        return entry
    }

    /// Forgets the fetch in flight if it is still `task`; a newer one stays. True if it was.
    @discardableResult
    func finished(_ issuer: TrustedIssuer, task: Task<Entry, Never>) -> Bool {
        inFlight.withLock { tasks in
            guard tasks[issuer.issuer].map({ $0 == task }) ?? false else { return false }
            tasks[issuer.issuer] = nil
            return true
        }
    }

    /// The entry after a refresh that did not finish in time: a failure like any other, which
    /// drops keys past their lifetime. It is recorded before the fetch is forgotten, so a
    /// lookup arriving meanwhile either joins the abandoned fetch or sees the failure.
    func timedOut(_ issuer: TrustedIssuer, task: Task<Entry, Never>, started: Instant, generation: Int) -> Entry {
        let failure = "fetching the keys took longer than \(refreshDeadline)"
        let current = inFlight.withLock { $0[issuer.issuer].map { $0 == task } ?? false }
        let entry = entries.withLock { table in
            var entry = table[issuer.issuer] ?? Entry()
            if started >= entry.freshUntil { entry.keys = [] }
            entry.lastAttempt = max(entry.lastAttempt, started)
            entry.lastFailure = failure
            // Not for an issuer forgotten (deleted or changed) meanwhile.
            if current, generations.withLock({ $0[issuer.issuer, default: 0] }) == generation { table[issuer.issuer] = entry }
            return entry
        }
        if current {
            logger.warning("fetching issuer keys failed", metadata: ["issuer": "\(issuer.issuer)", "error": "\(failure)"])
            finished(issuer, task: task)
        }
        return entry
    }

    func fetch(_ issuer: TrustedIssuer) async -> Entry {
        let generation = generations.withLock { $0[issuer.issuer, default: 0] }
        let now = clock.now()
        var entry = entries.withLock { $0[issuer.issuer] } ?? Entry()
        entry.lastAttempt = now
        do throws(FetchFailure) {
            let uri = try await jwksURI(issuer, known: entry.jwksURI)
            entry.jwksURI = uri
            let (body, maxAge) = try await fetcher.fetch(uri, as: Self.jwksPurpose(issuer))
            let keys: [IssuerKey]
            do { keys = try IssuerKeySet.parse(body) } catch { throw FetchFailure("\(uri): \(error.description)") }
            guard !keys.isEmpty else { throw FetchFailure("\(uri) has no usable signing keys") }
            let lifetime = min(
                max(Int64(maxAge ?? Int(Self.defaultLifetime)), Self.lifetimeRange.lowerBound), Self.lifetimeRange.upperBound)
            entry.keys = keys
            entry.freshUntil = clock.now() + .seconds(lifetime)
            entry.lastFailure = nil
            logger.info(
                "fetched issuer keys", metadata: ["issuer": "\(issuer.issuer)", "keys": "\(keys.count)", "lifetime": "\(lifetime)"])
        } catch {
            // Keys past their lifetime are not used once a fetch has failed: fail closed.
            if now >= entry.freshUntil { entry.keys = [] }
            entry.lastFailure = error.description
            logger.warning("fetching issuer keys failed", metadata: ["issuer": "\(issuer.issuer)", "error": "\(error.description)"])
        }
        let result = entry
        // Stored only if the issuer was not forgotten (deleted or changed) meanwhile.
        if generations.withLock({ $0[issuer.issuer, default: 0] }) == generation {
            entries.withLock { $0[issuer.issuer] = result }
        }
        return result
    }

    /// The issuer's `jwks_uri`: configured, or read from its OpenID discovery document; each
    /// URL checked by `OutboundURLPolicy` before it is fetched (an issuer stored before a rule
    /// existed is held to it too).
    func jwksURI(_ issuer: TrustedIssuer, known: String?) async throws(FetchFailure) -> String {
        if let configured = issuer.jwksURI {
            if let problem = OutboundURLPolicy.textProblem(configured, for: .issuerDocument) {
                throw FetchFailure("jwks_uri \(configured) \(problem)")
            }
            return configured
        }
        if let known { return known }
        if let problem = OutboundURLPolicy.textProblem(issuer.issuer, for: .issuerDocument) {
            throw FetchFailure("issuer \(issuer.issuer) \(problem)")
        }
        let discovery =
            issuer.issuer.hasSuffix("/")
            ? issuer.issuer + ".well-known/openid-configuration"
            : issuer.issuer + "/.well-known/openid-configuration"
        let (body, _) = try await fetcher.fetch(discovery, as: .issuerDocument)
        guard case .object(let document)? = try? JSONParser(maxDepth: 8).parse(body),
            let uri = document["jwks_uri"]?.stringValue
        else { throw FetchFailure("\(discovery) has no jwks_uri") }
        guard document["issuer"]?.stringValue == issuer.issuer else {
            throw FetchFailure("\(discovery) names another issuer (OpenID Discovery §4.3)")
        }
        if let problem = OutboundURLPolicy.textProblem(uri, for: Self.jwksPurpose(issuer)) {
            throw FetchFailure("the jwks_uri \(uri.prefix(200)) of \(discovery) \(problem)")
        }
        return uri
    }

    /// A configured `jwks_uri` is the operator's; a discovered one is the issuer's choice.
    static func jwksPurpose(_ issuer: TrustedIssuer) -> OutboundURLPolicy.Purpose {
        issuer.jwksURI == nil ? .jwksNamedBy(issuer: issuer.issuer) : .issuerDocument
    }
}
