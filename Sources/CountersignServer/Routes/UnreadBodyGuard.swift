import Hummingbird

/// Closes a connection whose request body a route may have left unread.
/// The HTTP layer drains an unread body before the next request, bounded only by the idle
/// timeout between bytes, so a client dripping a body at a route that never reads one (a GET,
/// a 404, a 405, a refusal before the body is read) could hold the connection for hours.
/// When a request declared a body that its route did not read whole (`BodyReadMark`), the
/// answer is written and then the connection is closed (`closingConnection`); a body past its
/// deadline (`RequestBodyDeadline`) ends the same way.
struct UnreadBodyGuard: RouterMiddleware {
    typealias Context = CountersignRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let declaresBody =
            request.headers.contains(.transferEncoding)
            || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
        guard declaresBody else { return try await next(request, context) }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        guard !context.bodyRead.isRead, response.headers[.connection]?.lowercased() != "close"
        else { return response }
        return Self.closingConnection(response, context)
    }

    /// `response`, after which the connection is closed: the rest of the body is never read,
    /// and nothing else is written on that connection.
    static func closingConnection(_ response: Response, _ context: CountersignRequestContext) -> Response {
        var response = response
        response.headers[.connection] = "close"
        let body = response.body
        let channel = context.channel
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let written = body
            try await written.write(writer)
            // Output first, so the client reads the whole answer; a full close at once would
            // meet body bytes still arriving and reset the connection under the unread answer
            // (RFC 9112 §9.6). The rest is closed a moment later whatever the client does.
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
        return response
    }
}
