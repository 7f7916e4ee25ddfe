/// Everything a decision may look at: who (subject), through what (client), wants to do what
/// (action) to what (resource), with which details (context), from where and when.
public struct DecisionRequest: Sendable {
    /// The subject: `sub` and every other claim (`roles`, `groups`, `org`, `acr`, `amr`,
    /// `auth_time`, …) as mapped from the issuer's token.
    public struct Subject: Sendable {
        /// The subject identifier (`subject.sub` in conditions).
        public var sub: String
        /// The subject's other claims (`subject.*`).
        public var claims: [String: PolicyValue]

        /// A subject as its token or a policy test case names it.
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
        /// The `client_id` (`client.id` in conditions).
        public var id: String
        /// What the server knows about the client (`client.*`).
        public var attributes: [String: PolicyValue]

        /// A client by id, with what the server knows about it.
        public init(id: String, attributes: [String: PolicyValue] = [:]) {
            self.id = id
            self.attributes = attributes
        }
    }

    /// Who the action is for.
    public var subject: Subject
    /// Who asks for it.
    public var client: Client
    /// The action's name, which selects the rules considered (docs/POLICY.md §3).
    public var action: String
    /// The location acted on, in normal form (`ResourceLocation`); nil when the action names none.
    public var resource: String?
    /// The action's fields, checked against its declaration (`context.*`).
    public var context: [String: PolicyValue]
    /// The client's address (`request.ip`), when known.
    public var ip: IPAddress?
    /// The decision time, seconds since 1970 UTC.
    public var time: Int64

    /// A request to decide, as the token endpoint or a policy test case makes it.
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
