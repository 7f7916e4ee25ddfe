import CountersignOAuth
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The size limits of a request head, and the handler that answers
/// `431 Request Header Fields Too Large` (RFC 6585 §5) when a head exceeds them,
/// where the framework would answer an empty 400.
///
/// The HTTP/1 decoder enforces the limits: it reports an oversized head as
/// `HTTPParserError.headerOverflow` before any part of that request reaches the router. This
/// handler sits right after the codec, answers with an OAuth error body and half-closes the
/// connection, so the client reads the answer while the rest of its head is discarded.
final class RequestHeadLimit: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// All header lines together (names, values and separators), in bytes.
    static let maxHeaderBytes = 16 * 1024
    /// Header lines in one request.
    static let maxHeaderFields = 100

    /// The decoder limits to give `HTTP1Channel`.
    static let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
        maxHeaderFieldSize: maxHeaderBytes, maxHeaderListSize: maxHeaderBytes, maxHeaderFieldCount: maxHeaderFields)

    /// A request head was passed on and its response is not finished: an overflow in a pipelined
    /// head behind it is left to the framework, which answers after that response.
    private var responseInProgress = false
    /// The 431 is written; every later read is the decoder reporting discarded input.
    private var refused = false
    /// Counts the heads refused before routing; a connection counts once.
    private let metrics: ServerMetrics?
    private var counted = false

    init(metrics: ServerMetrics? = nil) {
        self.metrics = metrics
    }

    private func countRefusal(tooLarge: Bool) {
        guard !counted else { return }
        counted = true
        metrics?.recordRejectedHead(tooLarge: tooLarge)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { responseInProgress = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { responseInProgress = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if refused { return }
        guard !responseInProgress, let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            // The framework answers a request it cannot parse with 400 and closes.
            if error is HTTPParserError { countRefusal(tooLarge: false) }
            context.fireErrorCaught(error)
            return
        }
        refused = true
        countRefusal(tooLarge: true)
        let answer = OAuthError(
            .invalidRequest,
            "the request headers are larger than \(Self.maxHeaderBytes) bytes or more than \(Self.maxHeaderFields) fields",
            status: 431
        ).response
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        fields[.contentLength] = String(answer.body.count)
        fields[.connection] = "close"
        let head = HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"), headerFields: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: answer.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // Output closes once the answer is written; the peer's close then ends the connection.
        context.close(mode: .output, promise: nil)
    }
}
