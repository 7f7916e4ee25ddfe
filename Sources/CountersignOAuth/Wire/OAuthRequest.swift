/// An HTTP request as the protocol layer sees it: no socket, no framework types.
public struct OAuthRequest: Sendable {
    public var method: String
    /// The `Content-Type` header without parameters, lower-cased; nil when absent.
    public var contentType: String?
    /// Every `Authorization` header value (more than one is an error).
    public var authorization: [String]
    public var body: [UInt8]
    /// The peer's IP address, for the audit log.
    public var remoteAddress: String?

    public init(
        method: String, contentType: String?, authorization: [String] = [], body: [UInt8] = [],
        remoteAddress: String? = nil
    ) {
        self.method = method
        self.contentType = contentType
        self.authorization = authorization
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

/// An HTTP response value that the server writes out as is.
public struct OAuthResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body with `Content-Type: application/json`.
    public static func json(status: Int = 200, _ body: [UInt8], headers: [(String, String)] = []) -> OAuthResponse {
        OAuthResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}
