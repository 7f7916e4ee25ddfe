import Hummingbird
import NIOCore
import NIOHTTPTypes

/// A request body must arrive whole within `limit` of its head, whether it drips or stops
/// (README, "Configuration": `body_timeout`). Past the deadline the body's reader gets `Exceeded`,
/// its route answers 408 (RFC 9110 §15.5.9) and the connection is closed (`UnreadBodyGuard`).
/// Neither the connection's idle timeout, which a drip keeps resetting and which would close a
/// stalled body without an answer, nor a clock read per arriving part, which a stalled body
/// never reaches, can give that answer; a timer on the connection's event loop does.
///
/// The handler sits right after the HTTP codec. It arms its one timer only when a read ends with
/// a body unfinished, so a body that arrives with its head (nearly every request) costs a clock
/// read and no timer.
final class RequestBodyDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// The body was not complete within the limit.
    struct Exceeded: Error {}

    /// What the client is told with the 408.
    static let description = "the request body took too long"

    private let limit: TimeAmount
    /// When the head of the request whose body is arriving came; nil between requests.
    private var receivingSince: NIODeadline?
    private var timer: Scheduled<Void>?

    /// `limit`: `ServerConfiguration.bodyTimeout`, 10 seconds unless configured.
    init(limit: Duration) {
        self.limit = TimeAmount(limit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: receivingSince = .now()
        case .body: break
        case .end: finish()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let receivingSince, timer == nil {
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: receivingSince + limit) {
                self.timer = nil
                guard self.receivingSince != nil else { return }
                self.receivingSince = nil
                context.fireErrorCaught(Exceeded())
            }
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        receivingSince = nil
        timer?.cancel()
        timer = nil
    }

    /// Collects a body up to `maxBytes` (else `NIOTooManyBytesError`) and marks it read; a body
    /// past its deadline throws `Exceeded` from the handler above.
    static func collect(_ request: Request, context: CountersignRequestContext, upTo maxBytes: Int) async throws -> ByteBuffer {
        var collected: ByteBuffer?
        for try await var part in request.body {
            guard (collected?.readableBytes ?? 0) + part.readableBytes <= maxBytes else { throw NIOTooManyBytesError(maxBytes: maxBytes) }
            if collected == nil { collected = part } else { collected!.writeBuffer(&part) }
        }
        context.bodyRead.markRead()
        return collected ?? ByteBuffer()
    }
}
