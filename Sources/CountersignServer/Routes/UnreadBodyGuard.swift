import Hummingbird

/// Closes a connection whose request body a route may have left unread (HOSTILE-TESTS 75).
/// The HTTP layer drains an unread body before the next request, bounded only by the idle
/// timeout between bytes, so a client dripping a body at a route that never reads one (a GET,
/// a 404, a 405, a refusal before the body is read) could hold the connection for hours.
/// When a request declared a body that its route did not read whole (`BodyReadMark`), the
/// answer is written and then the connection is closed (`RequestBodyDeadline.closingConnection`).
struct UnreadBodyGuard: RouterMiddleware {
    typealias Context = CountersignRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let declaresBody =
            request.headers[.transferEncoding] != nil
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
        return RequestBodyDeadline.closingConnection(response, context)
    }
}
