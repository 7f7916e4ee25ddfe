import CountersignCore
import CountersignStore
import Synchronization

/// Registered clients as the server sees them: an in-memory snapshot, refreshed from the store
/// every second (so a client created or deleted by the CLI reaches a running server within a
/// second), with a store lookup on a miss so a brand-new client works at once.
public final class ClientDirectory: Sendable {
    let store: any ClientStore
    let snapshot: Mutex<[String: OAuthClient]>

    /// An empty directory over `store`; the first reload fills it.
    public init(store: any ClientStore) {
        self.store = store
        self.snapshot = Mutex([:])
    }

    /// The client with this id, or nil.
    public func client(id: String) async throws -> OAuthClient? {
        if let cached = snapshot.withLock({ $0[id] }) { return cached }
        // Not cached: a miss is not added to the snapshot, so a lookup racing a deletion can
        // never bring a deleted client back; the next reload picks the new client up.
        return try await store.client(id: id)
    }

    /// Replaces the snapshot with the store's current clients.
    public func reload() async throws {
        let clients = try await store.clients()
        let fresh = Dictionary(clients.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        snapshot.withLock { $0 = fresh }
    }

    /// True when some client serves this audience (RFC 8707 resource). A miss re-reads the
    /// store, at most ten times a second, so a resource server registered a moment ago is known.
    public func isRegisteredResource(_ uri: String) async -> Bool {
        if snapshot.withLock({ clients in clients.values.contains { $0.resources.contains(uri) } }) { return true }
        guard await reloadAfterMiss() else { return false }
        return snapshot.withLock { clients in clients.values.contains { $0.resources.contains(uri) } }
    }

    /// Every registered resource server's URI (`client create --resource`), each once, sorted.
    public func resourceServers() -> [String] {
        snapshot.withLock { clients in Set(clients.values.flatMap(\.resources)).sorted() }
    }

    /// Re-reads the store after a lookup missed, at most ten times a second; true when it did.
    public func reloadAfterMiss() async -> Bool {
        guard missReloads.mayReload() else { return false }
        return (try? await reload()) != nil
    }

    let missReloads = MissReloadLimiter()
}
