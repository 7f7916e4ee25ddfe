import CountersignCore
import CountersignStore
import Synchronization

/// The trusted issuers as the server sees them: a snapshot of the store, refreshed every second
/// with the other caches; a miss re-reads the store at most ten times a second, so an issuer
/// added by the CLI a moment ago is known at once.
public final class IssuerDirectory: Sendable {
    let store: any TrustedIssuerStore
    /// Keys of an issuer that changed or went away are forgotten on every reload that sees it.
    let keys: IssuerKeyCache?
    let snapshot = Mutex<[String: TrustedIssuer]>([:])
    let missReloads = MissReloadLimiter()

    /// An empty directory over `store`; a reload that sees an issuer change drops its keys from `keys`.
    public init(store: any TrustedIssuerStore, keys: IssuerKeyCache? = nil) {
        self.store = store
        self.keys = keys
    }

    /// Replaces the snapshot; returns the issuers whose entry changed or went away.
    @discardableResult
    public func reload() async throws -> [String] {
        let fresh = Dictionary(try await store.trustedIssuers().map { ($0.issuer, $0) }, uniquingKeysWith: { a, _ in a })
        let changed = snapshot.withLock { current in
            let changed = current.filter { fresh[$0.key] != $0.value }.map(\.key)
            current = fresh
            return changed
        }
        for issuer in changed { keys?.forget(issuer) }
        return changed
    }

    /// The trusted issuer with this `iss`, re-reading the store on a miss at most ten times a second.
    public func issuer(_ iss: String) async -> TrustedIssuer? {
        if let found = snapshot.withLock({ $0[iss] }) { return found }
        guard missReloads.mayReload(), (try? await reload()) != nil else { return nil }
        return snapshot.withLock { $0[iss] }
    }
}
