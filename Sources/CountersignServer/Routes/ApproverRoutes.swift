import CountersignCore
import CountersignOAuth
import Hummingbird
import HTTPTypes
import NIOCore

/// The approver API under `/api/v1/approval-requests` (INTERFACE.md): each route reads the
/// bearer token and the path, calls `ApproverAPI`, and writes its answer. Votes are POSTs
/// only; a GET on a vote path is 405, never a vote (HOSTILE-TESTS 42).
enum ApproverRoutes {
    static func add(to router: Router<CountersignRequestContext>, api: ApproverAPI) {
        let base = "/api/v1/approval-requests"
        router.get(RouterPath(base)) { request, _ in
            await respond {
                let user = try await api.authenticate(request.headers[values: .authorization])
                return try await api.list(state: request.uri.queryParameters["state"].map(String.init), for: user)
            }
        }
        router.get(RouterPath("\(base)/:id")) { request, context in
            await respond {
                let user = try await api.authenticate(request.headers[values: .authorization])
                return try await api.show(id: context.parameters.get("id") ?? "", for: user)
            }
        }
        for (verb, verdict) in [("approve", Vote.Verdict.approve), ("deny", .deny)] {
            router.post(RouterPath("\(base)/:id/\(verb)")) { request, context in
                var request = request
                return await respond {
                    let user = try await api.authenticate(request.headers[values: .authorization])
                    let body: ByteBuffer
                    do {
                        body = try await request.collectBody(upTo: ApproverAPI.maxBodyBytes)
                    } catch {
                        throw ApproverAPI.Failure(
                            status: 413, code: "invalid_request",
                            description: "the request body is larger than \(ApproverAPI.maxBodyBytes) bytes")
                    }
                    return try await api.vote(
                        id: context.parameters.get("id") ?? "", verdict: verdict, body: Array(buffer: body), by: user)
                }
            }
            for method: HTTPRequest.Method in [.get, .put, .delete, .patch] {
                router.on(RouterPath("\(base)/:id/\(verb)"), method: method) { _, _ in
                    OAuthRoutes.methodNotAllowed(allow: "POST")
                }
            }
        }
    }

    static func respond(_ body: () async throws -> OAuthResponse) async -> Response {
        do {
            return OAuthRoutes.response(try await body())
        } catch let failure as ApproverAPI.Failure {
            return OAuthRoutes.response(failure.response)
        } catch {
            return OAuthRoutes.response(OAuthError.serverError(detail: "\(error)").response)
        }
    }
}
