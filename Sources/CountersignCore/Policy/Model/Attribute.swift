/// A dotted name a condition reads from the decision request: `subject.roles`, `client.id`,
/// `action`, `resource`, `context.amount`, `context.payee.country`, `request.ip`, `request.time`.
public struct Attribute: Sendable, Hashable, CustomStringConvertible {
    /// Where an attribute's value comes from in a decision request (docs/POLICY.md §6).
    public enum Root: String, Sendable, Hashable, CaseIterable {
        case subject, client, action, resource, context, request
    }

    /// The first name of the attribute (`subject`, `context`, ...).
    public let root: Root
    /// The names after the root (`["roles"]`, `["payee", "country"]`); empty for `action` and `resource`.
    public let path: [String]
    /// The dotted name as the policy file writes it.
    public let description: String
    /// Where the value comes from, decided once at load so a decision compares no names.
    let source: Source
    /// This attribute's index among the policy's distinct attributes: a decision reads each
    /// attribute at most once and keeps it in that slot.
    var slot: Int = 0

    enum Source: Sendable, Hashable {
        case action, resource, requestIP, requestTime, subjectSub, clientID
        case subjectClaims, clientAttributes, context
    }

    init(root: Root, path: [String], description: String) {
        self.root = root
        self.path = path
        self.description = description
        switch root {
        case .action: source = .action
        case .resource: source = .resource
        case .request: source = path.first == "ip" ? .requestIP : .requestTime
        case .subject: source = path == ["sub"] ? .subjectSub : .subjectClaims
        case .client: source = path == ["id"] ? .clientID : .clientAttributes
        case .context: source = .context
        }
    }

    /// Attributes are equal when their dotted names are.
    public static func == (a: Attribute, b: Attribute) -> Bool { a.description == b.description }
    /// Hashes the dotted name.
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// Parses a dotted attribute name; nil with the reason when it is not one.
    public static func parse(_ text: String) -> Result<Attribute, AttributeError> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let root = Root(rawValue: first) else {
            return .failure(
                AttributeError(
                    "unknown attribute \(text): an attribute starts with subject., client., context., request., or is action or resource"))
        }
        let path = Array(parts.dropFirst())
        if path.contains(where: \.isEmpty) { return .failure(AttributeError("\(text) has an empty name between dots")) }
        switch root {
        case .action, .resource:
            guard path.isEmpty else { return .failure(AttributeError("\(first) has no members: write \(first) alone")) }
        case .request:
            guard path.count == 1, path[0] == "ip" || path[0] == "time" else {
                return .failure(AttributeError("unknown attribute \(text): request has ip and time"))
            }
        case .subject, .client, .context:
            guard !path.isEmpty else { return .failure(AttributeError("\(first) needs a member, such as \(first).\(Self.example(root))")) }
        }
        return .success(Attribute(root: root, path: path, description: text))
    }

    static func example(_ root: Root) -> String {
        switch root {
        case .subject: "roles"
        case .client: "id"
        case .context: "amount"
        default: ""
        }
    }

    /// The type this attribute always has, when the request model fixes it.
    public var knownType: AttributeType? {
        switch (root, path.first) {
        case (.action, _), (.resource, _): return .string
        case (.subject, "sub"), (.client, "id"): return path.count == 1 ? .string : nil
        case (.subject, "acr"): return path.count == 1 ? .string : nil
        case (.subject, "amr"), (.subject, "roles"), (.subject, "groups"): return path.count == 1 ? .list(.string) : nil
        case (.subject, "auth_time"): return path.count == 1 ? .number : nil
        case (.request, "ip"): return .ip
        case (.request, "time"): return .time
        default: return nil
        }
    }
}

/// The type of an attribute as far as the policy can know it before a request arrives.
public indirect enum AttributeType: Sendable, Hashable, CustomStringConvertible {
    case string, number, boolean, ip, time
    case list(AttributeType)

    /// The attribute type of a declared context field.
    public init(_ field: FieldType) {
        let base: AttributeType =
            switch field.base {
            case .string: .string
            case .number: .number
            case .boolean: .boolean
            }
        self = field.isList ? .list(base) : base
    }

    /// The type in words, as load errors name it (`a string`).
    public var description: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .boolean: "a boolean"
        case .ip: "an IP address"
        case .time: "a time"
        case .list(let e): "a list of \(e.plural)"
        }
    }

    var plural: String {
        switch self {
        case .string: "strings"
        case .number: "numbers"
        case .boolean: "booleans"
        case .ip: "IP addresses"
        case .time: "times"
        case .list: "lists"
        }
    }
}

/// A name that is not an attribute.
public struct AttributeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the name is not an attribute, as the load error says it.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
