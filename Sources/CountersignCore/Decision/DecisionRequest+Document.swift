/// The request document of policy tests and `countersign policy explain --request JSON`:
/// `{ "subject": {"sub": "u1", "roles": ["contractor"]}, "client": "app", "action": "refund",
///    "resource": "https://…", "context": {"amount": 250}, "ip": "10.1.2.3", "time": "2026-11-25T10:00:00Z" }`.
extension DecisionRequest {
    /// When a test states no time: Monday 2026-01-05 12:00 UTC, so tests never depend on the clock.
    public static let defaultTestTime: Int64 = 1_767_614_400

    /// Instants a request may name: the years 0000 to 9999 (RFC 3339's range).
    public static let timeRange: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    static let documentKeys = ["subject", "client", "action", "resource", "context", "ip", "time"]

    /// Builds a request from its document; the error names the member at fault.
    public init(document: PolicyValue, defaultTime: Int64 = DecisionRequest.defaultTestTime) throws(PolicyValueError) {
        guard case .object(let members) = document else {
            throw PolicyValueError(path: "request", message: "must be an object with subject, action and context")
        }
        for key in members.keys.sorted() where !Self.documentKeys.contains(key) {
            throw PolicyValueError(path: key, message: "unknown member; a request has \(Self.documentKeys.joined(separator: ", "))")
        }
        let subject: Subject
        switch members["subject"] {
        case .string(let sub)?: subject = Subject(sub: sub)
        case .object(var claims)?:
            guard case .string(let sub)? = claims.removeValue(forKey: "sub") else {
                throw PolicyValueError(path: "subject.sub", message: "the subject needs a sub (a string)")
            }
            subject = Subject(sub: sub, claims: claims)
        case nil: throw PolicyValueError(path: "subject", message: "missing: give {\"sub\": \"…\", …claims}")
        default: throw PolicyValueError(path: "subject", message: "must be an object with sub and claims, or a sub string")
        }
        let client: Client
        switch members["client"] {
        case nil: client = Client(id: "policy-test")
        case .string(let id)?: client = Client(id: id)
        case .object(var attributes)?:
            guard case .string(let id)? = attributes.removeValue(forKey: "id") else {
                throw PolicyValueError(path: "client.id", message: "the client needs an id (a string)")
            }
            client = Client(id: id, attributes: attributes)
        default: throw PolicyValueError(path: "client", message: "must be a client id or an object with id")
        }
        guard case .string(let action)? = members["action"] else {
            throw PolicyValueError(path: "action", message: "missing or not a string: name the action")
        }
        var resource: String?
        if let r = members["resource"] {
            guard case .string(let s) = r else { throw PolicyValueError(path: "resource", message: "must be a string (a URI)") }
            resource = s
        }
        var context: [String: PolicyValue] = [:]
        if let c = members["context"] {
            guard case .object(let o) = c else { throw PolicyValueError(path: "context", message: "must be an object of fields") }
            context = o
        }
        var ip: IPAddress?
        if let i = members["ip"] {
            guard case .string(let s) = i, let address = IPAddress(s) else {
                throw PolicyValueError(path: "ip", message: "must be an IPv4 or IPv6 address as a string")
            }
            ip = address
        }
        var time = defaultTime
        switch members["time"] {
        case nil: break
        case .string(let s)?:
            guard let t = RFC3339.parse(s) else {
                throw PolicyValueError(path: "time", message: "must be an RFC 3339 date-time such as 2026-11-25T10:00:00Z")
            }
            time = t
        case .number(let n)?:
            guard let t = n.int64Value, Self.timeRange.contains(t) else {
                throw PolicyValueError(path: "time", message: "must be whole seconds since 1970, within the years 0000–9999")
            }
            time = t
        default: throw PolicyValueError(path: "time", message: "must be an RFC 3339 date-time string")
        }
        self.init(subject: subject, client: client, action: action, resource: resource, context: context, ip: ip, time: time)
    }
}
