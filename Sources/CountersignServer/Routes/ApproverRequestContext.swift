import CountersignApprovals
import CountersignCore
import CountersignOAuth
import Hummingbird

/// The context of the approver API's routes (docs/APPROVALS.md): the approver that
/// `ApproverAuthentication` authenticated once, before any route runs, and the context of the
/// connection it came on (its address, the body-read mark).
public struct ApproverRequestContext: ChildRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The user behind the personal token, enabled and holding that token as of this request.
    public let approver: User
    /// The connection's own context.
    let connection: CountersignRequestContext

    /// The context of an authenticated approver's request; throws 401 when the middleware set none.
    public init(context: CountersignRequestContext) throws {
        // Routes of this context sit behind the middleware, which sets it or answers 401 itself.
        guard let approver = context.approver else { throw HTTPError(.unauthorized) }
        self.coreContext = context.coreContext
        self.approver = approver
        self.connection = context
    }
}

/// Authenticates the approver once per request from `Authorization: Bearer <personal token>`
/// (`ApproverAPI.authenticate`: throttled per address, failures audited), and passes them on
/// in the request context; a refusal is the API's answer (401, 429, 503), and the route never runs.
struct ApproverAuthentication: RouterMiddleware {
    typealias Context = CountersignRequestContext
    let api: ApproverAPI

    func handle(
        _ request: Request, context: CountersignRequestContext,
        next: (Request, CountersignRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        do {
            context.approver = try await api.authenticate(request.headers[values: .authorization], from: context.address)
        } catch {
            return OAuthRoutes.response(error.response)
        }
        return try await next(request, context)
    }
}
