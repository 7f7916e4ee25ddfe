import CountersignCore
import Hummingbird
import NIOCore
import Synchronization

/// The request context of every route: Hummingbird's core storage plus the peer address,
/// which the audit log records.
public struct CountersignRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The peer's address.
    public let remoteAddress: SocketAddress?
    /// The connection, for a route that must stop reading it (a body past its deadline).
    let channel: any Channel
    /// Set once a route has read the request body whole (`UnreadBodyGuard` closes otherwise).
    let bodyRead = BodyReadMark()
    /// The approver `ApproverAuthentication` authenticated, on the approver API's routes.
    var approver: User?

    /// The peer's IP address as text, as the OAuth endpoints and the audit log record it.
    var address: String? { remoteAddress?.ipAddress }

    /// The context of a request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}

/// Whether a route read its request's body whole; shared by the route and the middleware that
/// wraps it within one request.
final class BodyReadMark: Sendable {
    private let done = Atomic<Bool>(false)

    func markRead() { done.store(true, ordering: .relaxed) }
    var isRead: Bool { done.load(ordering: .relaxed) }
}
