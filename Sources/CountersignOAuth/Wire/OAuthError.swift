import CountersignCore
import Logging

/// An OAuth error response (RFC 6749 §5.2): the public `code` and `description` go to the
/// client; `detail` is only logged. Codes are a struct with static members so adding one
/// breaks nobody (jwt-kit's `JWTError`).
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An `error` code (RFC 6749 §5.2 and the extensions below).
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        /// The code as the `error` member carries it.
        public let rawValue: String
        /// A code by name, standard or not.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// RFC 6749 §5.2.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// RFC 6749 §5.2; answered 401 with `WWW-Authenticate`.
        public static let invalidClient = Code(rawValue: "invalid_client")
        /// RFC 6749 §5.2.
        public static let invalidGrant = Code(rawValue: "invalid_grant")
        /// RFC 6749 §5.2.
        public static let unauthorizedClient = Code(rawValue: "unauthorized_client")
        /// RFC 6749 §5.2.
        public static let unsupportedGrantType = Code(rawValue: "unsupported_grant_type")
        /// RFC 6749 §5.2.
        public static let invalidScope = Code(rawValue: "invalid_scope")
        /// RFC 8707 §2.
        public static let invalidTarget = Code(rawValue: "invalid_target")
        /// RFC 7009 §2.2.1.
        public static let unsupportedTokenType = Code(rawValue: "unsupported_token_type")
        /// RFC 6749 §4.1.2.1; OpenID CIBA Core §11 for a denied request.
        public static let accessDenied = Code(rawValue: "access_denied")
        /// RFC 6749 §4.1.2.1; answered 503 here.
        public static let temporarilyUnavailable = Code(rawValue: "temporarily_unavailable")
        /// RFC 6749 §4.1.2.1; answered 500 here.
        public static let serverError = Code(rawValue: "server_error")
        /// OpenID CIBA Core §11: the client polls too often.
        public static let slowDown = Code(rawValue: "slow_down")
        /// RFC 9396 §5.
        public static let invalidAuthorizationDetails = Code(rawValue: "invalid_authorization_details")
        /// RFC 9470 §3, with `acr_values` and `max_age`.
        public static let insufficientUserAuthentication = Code(rawValue: "insufficient_user_authentication")
        /// An approval request was opened: poll with its `auth_req_id` (docs/ACTION-TOKENS.md).
        public static let approvalRequired = Code(rawValue: "approval_required")
        /// OpenID CIBA Core §11.
        public static let authorizationPending = Code(rawValue: "authorization_pending")
        /// OpenID CIBA Core §11.
        public static let expiredToken = Code(rawValue: "expired_token")
        /// CIBA §13, the backchannel authentication endpoint's own errors.
        public static let unknownUserID = Code(rawValue: "unknown_user_id")
        /// OpenID CIBA Core §13.
        public static let expiredLoginHintToken = Code(rawValue: "expired_login_hint_token")
        /// OpenID CIBA Core §13.
        public static let invalidBindingMessage = Code(rawValue: "invalid_binding_message")
        /// OpenID CIBA Core §12, in a push error payload.
        public static let transactionFailed = Code(rawValue: "transaction_failed")
        /// RFC 6750 §3.1: a bearer token that is missing, unknown, disabled or replaced.
        public static let invalidToken = Code(rawValue: "invalid_token")
        /// The approver API (docs/APPROVALS.md): its refusals in words.
        public static let forbidden = Code(rawValue: "forbidden")
        /// The approver API, 404: no such request, or none the approver may see.
        public static let notFound = Code(rawValue: "not_found")
        /// The approver API, 409: the request is settled, or the approver already voted.
        public static let conflict = Code(rawValue: "conflict")
        /// RFC 6585 §4, with `Retry-After`.
        public static let tooManyRequests = Code(rawValue: "too_many_requests")
    }

    /// The `error` code.
    public var code: Code
    /// Sent to the client; kept to printable ASCII without quotes or backslashes (RFC 6749 §5.2).
    public var description: String
    /// Only logged, never sent.
    public var detail: String?
    /// The HTTP status of the answer.
    public var status: Int
    /// `WWW-Authenticate` for a failed client authentication (RFC 6749 §5.2).
    public var wwwAuthenticate: String?
    /// `Retry-After` seconds for a throttled request (RFC 9110 §10.2.3).
    public var retryAfter: Int?
    /// Members after `error` and `error_description` (`acr_values` and `max_age` of a step-up,
    /// RFC 9470 §3; `auth_req_id`, `expires_in`, `interval` of an approval).
    public var members: [(String, JSONValue)] = []

    /// Equal when every part is, members in order.
    public static func == (a: OAuthError, b: OAuthError) -> Bool {
        a.code == b.code && a.description == b.description && a.detail == b.detail && a.status == b.status
            && a.wwwAuthenticate == b.wwwAuthenticate && a.retryAfter == b.retryAfter
            && a.members.map(\.0) == b.members.map(\.0) && a.members.map(\.1) == b.members.map(\.1)
    }

    /// An error answered with `status`; `detail` is only logged.
    public init(
        _ code: Code, _ description: String, status: Int = 400, detail: String? = nil, wwwAuthenticate: String? = nil,
        retryAfter: Int? = nil
    ) {
        self.retryAfter = retryAfter
        self.code = code
        self.description = OAuthError.sanitized(description)
        self.detail = detail
        self.status = status
        self.wwwAuthenticate = wwwAuthenticate
    }

    /// An error of the approver API (docs/APPROVALS.md), which is not bound by RFC 6749 §5.2's
    /// character set: its description may quote JSON and name people as they are named, so only
    /// control and bidirectional-formatting characters become `?`.
    public static func api(
        _ code: Code, status: Int, _ description: String, wwwAuthenticate: String? = nil, retryAfter: Int? = nil
    ) -> OAuthError {
        var error = OAuthError(code, "", status: status, wwwAuthenticate: wwwAuthenticate, retryAfter: retryAfter)
        error.description = String(
            String.UnicodeScalarView(
                description.unicodeScalars.prefix(1000).map { scalar in
                    let v = scalar.value
                    let control =
                        v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                        || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F
                    return control ? "?" : scalar
                }))
        return error
    }

    /// 400 `invalid_request` (RFC 6749 §5.2).
    public static func invalidRequest(_ description: String, detail: String? = nil) -> OAuthError {
        OAuthError(.invalidRequest, description, detail: detail)
    }

    /// 401 with a Basic challenge (every 401 names a scheme, RFC 9110 §11.6.1): the same answer
    /// for an unknown client and a wrong secret, whichever method was used.
    public static func invalidClient(detail: String) -> OAuthError {
        OAuthError(
            .invalidClient, "client authentication failed", status: 401, detail: detail,
            wwwAuthenticate: "Basic realm=\"countersign\", charset=\"UTF-8\"")
    }

    /// 503 `temporarily_unavailable`: the store or an issuer cannot serve now; `detail` is only logged.
    public static func unavailable(detail: String) -> OAuthError {
        OAuthError(
            .temporarilyUnavailable, "the server is temporarily unable to handle the request, try again", status: 503, detail: detail)
    }

    /// 500 `server_error`; `detail` is only logged.
    public static func serverError(detail: String) -> OAuthError {
        OAuthError(.serverError, "the server failed to handle the request", status: 500, detail: detail)
    }

    /// RFC 6749 §5.2 allows %x20-21 / %x23-5B / %x5D-7E in `error_description`; anything else
    /// becomes `?` so user input can never split a log line or break the JSON.
    static func sanitized(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars.prefix(300) {
            let v = scalar.value
            if v == 0x20 || v == 0x21 || (0x23...0x5B).contains(v) || (0x5D...0x7E).contains(v) {
                out.unicodeScalars.append(scalar)
            } else {
                out.append("?")
            }
        }
        return out
    }

    /// The JSON response body.
    public var response: OAuthResponse {
        var headers: [(String, String)] = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        if let wwwAuthenticate { headers.append(("WWW-Authenticate", wwwAuthenticate)) }
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        var response = OAuthResponse.json(
            status: status,
            JSONWriter.object([("error", .string(code.rawValue)), ("error_description", .string(description))] + members),
            headers: headers)
        response.error = code.rawValue
        return response
    }
}

extension OAuthError {
    /// Runs an endpoint's pipeline: a refusal is logged with its detail and rendered as the
    /// RFC 6749 §5.2 response.
    public static func rendering(
        endpoint: String, logger: Logger, _ pipeline: () async throws(OAuthError) -> OAuthResponse
    ) async -> OAuthResponse {
        do {
            return try await pipeline()
        } catch {
            error.log(to: logger, endpoint: endpoint)
            return error.response
        }
    }

    /// Logs the refusal with its private detail: 5xx as errors, the rest at info. Never a
    /// token or secret: details name ids and reasons only, and are sanitised against log injection.
    public func log(to logger: Logger, endpoint: String) {
        let metadata: Logger.Metadata = [
            "endpoint": "\(endpoint)", "error": "\(code.rawValue)", "status": "\(status)",
            "detail": "\(OAuthError.sanitized(detail ?? description))",
        ]
        if status >= 500 {
            logger.error("request failed", metadata: metadata)
        } else {
            logger.info("request refused", metadata: metadata)
        }
    }
}
