import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer address,
/// which the audit log records.
public struct CountersignRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection, for a route that must stop reading it (a body past its deadline).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}
