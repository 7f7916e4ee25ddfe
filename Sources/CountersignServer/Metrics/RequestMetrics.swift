import Hummingbird

/// Counts and times every request the router sees, for `GET /metrics`: the outermost
/// middleware, so refusals by the other middleware and 404s count too. A request head refused
/// before routing (431 from `RequestHeadLimit`, the HTTP layer's 400 for a malformed head) is
/// counted by `RequestHeadLimit` instead (`countersign_http_rejected_total`). The time runs
/// from the request head to the answer returned: the writing of its body is not waited for (a
/// server-sent event stream counts when its head is answered).
struct RequestMetrics: RouterMiddleware {
    typealias Context = CountersignRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        func record(_ status: Int) {
            metrics.recordRequest(
                method: request.method.rawValue, route: context.endpointPath, status: status,
                duration: ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch {
            record((error as? any HTTPResponseError)?.status.code ?? 500)
            throw error
        }
    }
}
