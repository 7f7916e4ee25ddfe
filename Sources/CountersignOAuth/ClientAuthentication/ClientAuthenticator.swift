import CountersignCore
import CountersignStore

/// Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3.1):
/// `client_secret_basic` or `client_secret_post`, exactly one per request. An unknown client and
/// a wrong secret get the same answer after the same work; secrets are compared
/// as keyed hashes in constant time.
public struct ClientAuthenticator: Sendable {
    /// How the client proved who it is.
    public enum Method: String, Sendable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
        case none
    }

    /// The methods discovery announces (RFC 8414 §2 `token_endpoint_auth_methods_supported`).
    public static let supportedMethods: [Method] = [.clientSecretBasic, .clientSecretPost]

    let directory: ClientDirectory
    let serverKey: ServerKey
    let throttle: FailedAuthenticationThrottle
    /// Tells whether a secret rotation's grace period has ended.
    let clock: any WallClock

    /// An authenticator over `directory`; `throttle` slows guessing, `clock` ends rotation grace periods.
    public init(
        directory: ClientDirectory, serverKey: ServerKey, throttle: FailedAuthenticationThrottle = .init(),
        clock: any WallClock
    ) {
        self.directory = directory
        self.serverKey = serverKey
        self.throttle = throttle
        self.clock = clock
    }

    /// The authenticated client, or `invalid_client` (401) / `invalid_request` (400).
    /// `allowPublic` admits a public client identified by `client_id` alone.
    public func authenticate(
        _ request: OAuthRequest, _ params: FormParameters, allowPublic: Bool = false
    ) async throws(OAuthError) -> (client: OAuthClient, method: Method) {
        // `temporarily_unavailable`, never `slow_down`: a CIBA poller reads that as "poll slower"
        // (CIBA §11) and would keep going instead of honouring Retry-After.
        if let seconds = throttle.retryAfter(request.remoteAddress) {
            throw OAuthError(
                .temporarilyUnavailable, "too many failed client authentications from this address; retry in \(seconds) seconds",
                status: 429, detail: "throttled \(request.remoteAddress ?? "?")", retryAfter: seconds)
        }
        do {
            return try await verify(request, params, allowPublic: allowPublic)
        } catch {
            if error.code == .invalidClient { await throttle.recordFailure(request.remoteAddress, kind: "client") }
            throw error
        }
    }

    func verify(
        _ request: OAuthRequest, _ params: FormParameters, allowPublic: Bool
    ) async throws(OAuthError) -> (client: OAuthClient, method: Method) {
        let credentials = try Self.credentials(request, params)
        // Registered ids are printable ASCII; anything else is unknown without a lookup, and
        // never matched by Unicode equivalence. Over-long secrets are refused
        // before any work, whoever the client.
        guard credentials.id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), credentials.id.utf8.count <= 128,
            (credentials.secret?.utf8.count ?? 0) <= ClientSecret.maximumLength
        else {
            throw OAuthError.invalidClient(detail: "malformed client id or over-long secret")
        }
        let client: OAuthClient?
        do {
            client = try await directory.client(id: credentials.id)
        } catch {
            throw OAuthError.unavailable(detail: "client lookup failed: \(error)")
        }
        guard let secret = credentials.secret else {
            guard allowPublic, let client, client.isPublic else {
                throw OAuthError.invalidClient(detail: "no secret presented for client")
            }
            return (client, .none)
        }
        guard let client, let stored = client.secretHash else {
            // Same work as a real comparison, so timing does not reveal which ids exist.
            _ = ClientSecret.matches(secret, hash: Self.decoyHash, serverKey: serverKey)
            throw OAuthError.invalidClient(
                detail: client == nil ? "unknown client" : "public client presented a secret")
        }
        // One keyed hash, compared in constant time with the secret and, during a rotation's
        // grace period, with the one it replaced (a rotated-out secret is refused).
        let presented = ClientSecret.hash(secret, serverKey: serverKey)
        var matched = ConstantTime.equal(presented, stored)
        if let previous = client.previousSecretHash {
            let previousMatches = ConstantTime.equal(presented, previous)
            let inGrace = client.previousSecretValidUntil.map { clock.now() < $0 } ?? false
            matched = matched || (previousMatches && inGrace)
        }
        guard matched else {
            throw OAuthError.invalidClient(detail: "wrong secret for \(client.id)")
        }
        return (client, credentials.method)
    }

    static let decoyHash = [UInt8](repeating: 0, count: 32)

    struct Credentials {
        let id: String
        let secret: String?
        let method: Method
    }

    /// Reads the presented credentials; more than one method is `invalid_request`.
    static func credentials(_ request: OAuthRequest, _ params: FormParameters) throws(OAuthError) -> Credentials {
        guard request.authorization.count <= 1 else {
            throw .invalidRequest("more than one Authorization header")
        }
        if let header = request.authorization.first {
            guard header.count > 6, header.prefix(6).lowercased() == "basic " else {
                throw OAuthError.invalidClient(detail: "unsupported Authorization scheme")
            }
            let encoded = header.dropFirst(6).trimmingPrefix(while: { $0 == " " })
            guard let decoded = Base64Standard.decode(Array(encoded.utf8)),
                let text = String(validating: decoded, as: UTF8.self),
                let colon = text.firstIndex(of: ":")
            else {
                throw .invalidRequest("the Basic credentials are not base64 of client_id:client_secret")
            }
            // RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
            guard let id = FormParameters.decode(ArraySlice(text[..<colon].utf8)),
                let secret = FormParameters.decode(ArraySlice(text[text.index(after: colon)...].utf8)),
                !id.isEmpty
            else {
                throw .invalidRequest("the Basic credentials are not form-urlencoded client_id:client_secret")
            }
            guard params["client_secret"] == nil else {
                throw .invalidRequest("use one client authentication method, not both Basic and client_secret")
            }
            if let bodyID = params["client_id"], bodyID != id {
                throw .invalidRequest("client_id in the body does not match the Basic credentials")
            }
            return Credentials(id: id, secret: secret, method: .clientSecretBasic)
        }
        guard let id = params["client_id"] else {
            throw OAuthError.invalidClient(detail: "no client authentication")
        }
        if let secret = params["client_secret"] {
            return Credentials(id: id, secret: secret, method: .clientSecretPost)
        }
        return Credentials(id: id, secret: nil, method: .none)
    }
}

/// Standard base64 with padding (RFC 4648 §4), strict, as HTTP Basic uses it.
enum Base64Standard {
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var body = text[...]
        var padding = 0
        while body.last == UInt8(ascii: "=") && padding < 2 {
            body = body.dropLast()
            padding += 1
        }
        let translated = body.map { c -> UInt8 in
            switch c {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "-"), UInt8(ascii: "_"): UInt8(ascii: "!")  // not in the standard alphabet
            default: c
            }
        }
        return Base64URL.decode(translated)
    }
}
