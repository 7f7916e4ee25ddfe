/// How the client that started a request hears of its outcome (OpenID CIBA Core §5): it polls
/// the token endpoint, or the server calls the client's notification endpoint with a ping
/// (then it polls) or with the token itself (push). Poll needs nothing stored; ping and push
/// keep the endpoint and, sealed under the server key, the `client_notification_token` to
/// present and the `auth_req_id` to name.
public struct BackchannelDelivery: Sendable, Equatable {
    /// The CIBA token delivery mode the client registered (CIBA §5).
    public enum Mode: String, Sendable, CaseIterable {
        case poll, ping, push
    }

    /// How the outcome reaches the client.
    public var mode: Mode
    /// The client's `client_notification_endpoint` when the request was made.
    public var endpoint: String
    /// The `client_notification_token` (CIBA §7.1), sealed under `notificationTokenPurpose`.
    public var sealedNotificationToken: [UInt8]
    /// The `auth_req_id` the notification names, sealed under `authReqIDPurpose`.
    public var sealedAuthReqID: [UInt8]

    /// The `SealedSecret` purpose of the notification token.
    public static let notificationTokenPurpose = "countersign client_notification_token"
    /// The `SealedSecret` purpose of the `auth_req_id`.
    public static let authReqIDPurpose = "countersign auth_req_id"

    /// A delivery with its secrets already sealed.
    public init(mode: Mode, endpoint: String, sealedNotificationToken: [UInt8], sealedAuthReqID: [UInt8]) {
        self.mode = mode
        self.endpoint = endpoint
        self.sealedNotificationToken = sealedNotificationToken
        self.sealedAuthReqID = sealedAuthReqID
    }

    /// The stored form; the secrets stay sealed.
    public var json: JSONValue {
        [
            "mode": .string(mode.rawValue), "endpoint": .string(endpoint),
            "notification_token": .string(Base64URL.encode(sealedNotificationToken)),
            "auth_req_id": .string(Base64URL.encode(sealedAuthReqID)),
        ]
    }

    /// Reads `json` back; nil for a malformed row.
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let mode = o["mode"]?.stringValue.flatMap(Mode.init(rawValue:)),
            let endpoint = o["endpoint"]?.stringValue,
            let token = o["notification_token"]?.stringValue.flatMap({ Base64URL.decode($0.utf8) }),
            let id = o["auth_req_id"]?.stringValue.flatMap({ Base64URL.decode($0.utf8) })
        else { return nil }
        self.init(mode: mode, endpoint: endpoint, sealedNotificationToken: token, sealedAuthReqID: id)
    }
}
