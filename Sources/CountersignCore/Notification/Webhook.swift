import Crypto

/// An outgoing webhook: approval requests for `group` are POSTed to `url`, signed with a
/// secret only the receiver and this server know (the store keeps it sealed, see
/// `SealedSecret`). `format` is Countersign's JSON event or a Slack-compatible message.
public struct Webhook: Sendable, Equatable {
    /// The body the webhook receives: Countersign's JSON event or a Slack message (docs/APPROVALS.md).
    public enum Format: String, Sendable, CaseIterable {
        case json, slack
    }

    /// The id `webhook add` printed, which `webhook delete` names.
    public var id: String
    /// The approver group whose requests are sent; `*` for every request.
    public var group: String
    /// Where events are POSTed; a credential itself for a Slack incoming webhook.
    public var url: String
    /// The body the receiver expects.
    public var format: Format
    /// The signing secret, sealed under `secretPurpose`.
    public var sealedSecret: [UInt8]
    /// When the webhook was added.
    public var createdAt: Instant

    /// A webhook as `webhook add` registers it or the store reads it back.
    public init(id: String, group: String, url: String, format: Format, sealedSecret: [UInt8], createdAt: Instant) {
        self.id = id
        self.group = group
        self.url = url
        self.format = format
        self.sealedSecret = sealedSecret
        self.createdAt = createdAt
    }

    /// The `SealedSecret` purpose of this webhook's signing secret.
    public var secretPurpose: String { "countersign webhook secret \(id)" }

    /// A new signing secret: `whsec_` and 256 random bits, base64url.
    public static func generateSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        return "whsec_" + Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
    }

    /// `Countersign-Signature: t=SECONDS,v1=HEX`: HMAC-SHA-256 under the secret over
    /// `SECONDS.BODY`, so a receiver checks both who sent it and that it is fresh (it should
    /// refuse a timestamp more than five minutes old: a replay).
    public static func signature(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var signed = Array("\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=\(Array(mac).hexString)"
    }

    /// The data a `webhook.*` audit event records: never the secret, and of the URL only its
    /// origin and SHA-256 (a Slack incoming-webhook URL is itself a credential). The origin is
    /// the scheme, host and port (`URLAuthority.origin`): never user information, which
    /// registration refuses anyway, nor a path or query, which can carry a token.
    public var auditData: [String: JSONValue] {
        [
            "id": .string(id), "group": .string(group), "url_origin": .string(URLAuthority(of: url)?.origin ?? "?"),
            "url_sha256": .string(SHA256.hash(data: Array(url.utf8)).hexString), "format": .string(format.rawValue),
        ]
    }
}

/// One attempt to deliver one event to one webhook, as the delivery log keeps it.
public struct WebhookDelivery: Sendable, Equatable {
    /// The webhook the event was sent to.
    public var webhookID: String
    /// `approval.requested`, `approval.decided`, …
    public var event: String
    /// The approval request the event is about.
    public var requestID: String
    /// 1 for the first attempt.
    public var attempt: Int
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// Why it failed, when it did.
    public var error: String?
    /// When the attempt ended.
    public var at: Instant

    /// A logged attempt as the notifier records it or the store reads it back.
    public init(webhookID: String, event: String, requestID: String, attempt: Int, status: Int?, error: String?, at: Instant) {
        self.webhookID = webhookID
        self.event = event
        self.requestID = requestID
        self.attempt = attempt
        self.status = status
        self.error = error
        self.at = at
    }
}
