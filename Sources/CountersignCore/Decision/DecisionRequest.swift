/// Everything a decision may look at: who (subject), through what (client), wants to do what
/// (action) to what (resource), with which details (context), from where and when.
public struct DecisionRequest: Sendable {
    /// The subject: `sub` and every other claim (`roles`, `groups`, `org`, `acr`, `amr`,
    /// `auth_time`, …) as mapped from the issuer's token.
    public struct Subject: Sendable {
        public var sub: String
        public var claims: [String: PolicyValue]

        public init(sub: String, claims: [String: PolicyValue] = [:]) {
            self.sub = sub
            self.claims = claims
        }

        /// The authentication context class, when the token states one.
        public var acr: String? {
            if case .string(let s)? = claims["acr"] { return s }
            return nil
        }

        /// When the subject last authenticated (seconds since 1970), when stated.
        public var authTime: Int64? {
            if case .number(let n)? = claims["auth_time"] { return n.int64Value }
            return nil
        }
    }

    /// The client asking: its id and any attributes the server knows about it.
    public struct Client: Sendable {
        public var id: String
        public var attributes: [String: PolicyValue]

        public init(id: String, attributes: [String: PolicyValue] = [:]) {
            self.id = id
            self.attributes = attributes
        }
    }

    public var subject: Subject
    public var client: Client
    public var action: String
    public var resource: String?
    public var context: [String: PolicyValue]
    public var ip: IPAddress?
    /// The decision time, seconds since 1970 UTC.
    public var time: Int64

    public init(
        subject: Subject, client: Client, action: String, resource: String? = nil, context: [String: PolicyValue] = [:],
        ip: IPAddress? = nil, time: Int64
    ) {
        self.subject = subject
        self.client = client
        self.action = action
        self.resource = resource
        self.context = context
        self.ip = ip
        self.time = time
    }
}
