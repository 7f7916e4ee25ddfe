/// An HTTP request as the protocol layer sees it: no socket, no framework types.
public struct OAuthRequest: Sendable {
    /// The HTTP method.
    public var method: String
    /// The `Content-Type` header without parameters, lower-cased; nil when absent.
    public var contentType: String?
    /// Every `Authorization` header value (more than one is an error).
    public var authorization: [String]
    /// The body, at most 64 KiB (the route refuses more).
    public var body: [UInt8]
    /// The peer's IP address, for the audit log.
    public var remoteAddress: String?

    /// A request as a route builds it from HTTP, or a test directly.
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

    /// The media type of a `Content-Type` value (RFC 9110 §8.3): what comes before any
    /// parameter, without the optional whitespace (space, tab) around it, with ASCII letters
    /// lower-cased (media types are case-insensitive; nothing else is folded).
    public static func mediaType(_ value: String) -> String {
        func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var bytes = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = bytes.first, isWhitespace(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, isWhitespace(last) { bytes = bytes.dropLast() }
        return String(decoding: bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// An HTTP response value that the server writes out as is.
public struct OAuthResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The headers, in order.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]
    /// The RFC 6749 §5.2 `error` code when this answers a refusal (for metrics; never sent
    /// other than in the body).
    public var error: String?

    /// A response with these parts; `error` names the refusal for metrics.
    public init(status: Int, headers: [(String, String)], body: [UInt8], error: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error
    }

    /// A JSON body with `Content-Type: application/json`.
    public static func json(status: Int = 200, _ body: [UInt8], headers: [(String, String)] = []) -> OAuthResponse {
        OAuthResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}
