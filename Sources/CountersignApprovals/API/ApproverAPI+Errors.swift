import CountersignOAuth

/// The approver API's refusals, in the one wire error type (`OAuthError.api`).
extension OAuthError {
    /// 401 with a Bearer challenge (RFC 6750 §3).
    public static let unauthenticatedApprover = OAuthError.api(
        .invalidToken, status: 401, "send a personal API token as Authorization: Bearer TOKEN",
        wwwAuthenticate: #"Bearer error="invalid_token""#)

    /// 429 with `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3).
    static func approverThrottled(_ seconds: Int) -> OAuthError {
        .api(
            .tooManyRequests, status: 429, "too many failed authentications from this address; retry in \(seconds) seconds",
            retryAfter: seconds)
    }

    static let approvalStoreUnavailable = OAuthError.api(
        .temporarilyUnavailable, status: 503, "the store is unavailable, try again")

    /// A request id safe to echo.
    static func shown(_ id: String) -> String { FormParameters.printable(id, maxLength: 64, placeholder: "(that id)") }

    static func approvalRequestNotFound(_ id: String) -> OAuthError {
        .api(.notFound, status: 404, "there is no approval request \(shown(id))")
    }
}
