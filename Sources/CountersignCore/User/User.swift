/// A person known to Countersign itself: an approver of the inbox, the API and the CLI.
/// Their groups and roles become the claims policy groups are derived from.
public struct User: Sendable, Equatable {
    /// The user name: unique, what static group members and the CLI name.
    public var name: String
    /// Groups the user belongs to, read by the policy as the `groups` claim.
    public var groups: [String]
    /// Roles the user holds, read by the policy as the `roles` claim.
    public var roles: [String]
    /// Other claims, `--claim k=v` (an `email` is also a name the person goes by).
    public var claims: [String: String]
    /// Other names the same person goes by, such as `ISSUER#SUB` at an identity provider.
    public var aliases: [String]
    /// Whether the user is disabled: no vote, no API call, no event stream (docs/APPROVALS.md).
    public var disabled: Bool
    /// When the user was created.
    public var createdAt: Instant

    /// A user as `user create` makes it or the store reads it back.
    public init(
        name: String, groups: [String] = [], roles: [String] = [], claims: [String: String] = [:], aliases: [String] = [],
        disabled: Bool = false, createdAt: Instant
    ) {
        self.name = name
        self.groups = groups
        self.roles = roles
        self.claims = claims
        self.aliases = aliases
        self.disabled = disabled
        self.createdAt = createdAt
    }

    /// The user as an approver: `groups` and `roles` as lists, every other claim a string.
    public var approver: Approver {
        var policyClaims: [String: PolicyValue] = claims.mapValues(PolicyValue.string)
        policyClaims["groups"] = .list(groups.map(PolicyValue.string))
        policyClaims["roles"] = .list(roles.map(PolicyValue.string))
        return Approver(name: name, claims: policyClaims, aliases: aliases)
    }

    /// The facts an audit event records.
    public var auditData: [String: JSONValue] {
        [
            "name": .string(name), "groups": .array(groups.map(JSONValue.string)),
            "roles": .array(roles.map(JSONValue.string)),
            "claims": .object(claims.mapValues(JSONValue.string)), "aliases": .array(aliases.map(JSONValue.string)),
        ]
    }

    /// A user name: 1–64 characters of letters, digits, `.`, `_`, `-`, `@`; nil when acceptable.
    public static func problem(name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy { s in
            (s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s))) || ".-_@".unicodeScalars.contains(s)
        }
        return !name.isEmpty && name.utf8.count <= 64 && allowed
            ? nil : "a user name is 1-64 ASCII letters, digits, '.', '_', '-' or '@'"
    }
}
