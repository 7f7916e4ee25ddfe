/// A person an approval request names: its subject, or the actor (RFC 8693 §4.1 `act`) of a
/// token exchange. Whether an approver is one of them is answered here and nowhere else, by one
/// rule (docs/APPROVALS.md, "Who is who"): **likeness may refuse, never grant.**
///
/// - `couldBe(_:)`, "could this approver be this person?", compares the skeletons
///   (`RequesterName`) of every name on either side. A match only ever refuses: the requester
///   and the actor never approve their own request, an actor never confirms for the owner.
/// - `isExactly(_:)`, "is this approver exactly this person?", compares bytes: the approver
///   carries the alias `ISSUER#SUB`. Only this grants (the owner's own confirmation). User names
///   and `sub` are case-sensitive (OpenID Connect Core §5.7 compares `sub` exactly), so `Erin` is
///   not `erin`, and neither folding nor a look-alike makes anyone eligible.
public struct PersonIdentity: Sendable, Equatable {
    /// The issuer that vouched for `sub` (this server's own for a user named by `login_hint`);
    /// nil for a client acting as itself, which no person is.
    public var issuer: String?
    /// The subject identifier, exactly as the issuer gave it.
    public var sub: String
    /// Other names the person goes by: a local user's `--alias`es and the name claims
    /// (`nameClaims`). Compared only to refuse.
    public var names: [String]

    /// The claims (OpenID Connect Core §5.1) that name a person besides `sub`, on the
    /// requester's side and the approver's alike.
    public static let nameClaims = ["email", "preferred_username", "upn"]

    /// A person named by issuer and `sub`, and the other names they go by.
    public init(issuer: String?, sub: String, names: [String] = []) {
        self.issuer = issuer
        self.sub = sub
        self.names = names
    }

    /// A person as a token (or a user of this server) describes them: `aliases` and the string
    /// values of the name claims.
    public init(issuer: String?, sub: String, claims: [String: PolicyValue], aliases: [String] = []) {
        self.init(issuer: issuer, sub: sub, names: aliases + Self.names(in: claims))
    }

    /// `ISSUER#SUB`: the alias under which an approver is exactly this person; nil without an
    /// issuer.
    public var qualifiedName: String? { issuer.map { "\($0)#\(sub)" } }

    /// Whether `approver` could be this person: any name of theirs (user name, alias, name
    /// claim) has the skeleton of any name of this person (`sub`, `ISSUER#SUB`, `names`).
    /// Used only to refuse.
    public func couldBe(_ approver: Approver) -> Bool {
        var mine = Set(names.map(RequesterName.skeleton))
        mine.insert(RequesterName.skeleton(sub))
        if let qualifiedName { mine.insert(RequesterName.skeleton(qualifiedName)) }
        return approver.names.contains { mine.contains(RequesterName.skeleton($0)) }
    }

    /// Whether `approver` is exactly this person: they carry the alias `ISSUER#SUB`, byte for
    /// byte. A person without an issuer (a client acting as itself) is nobody's alias. The only
    /// match that grants.
    public func isExactly(_ approver: Approver) -> Bool {
        guard let qualifiedName else { return false }
        return approver.aliases.contains { $0.isExactly(qualifiedName) }
    }

    /// RFC 8693 §4.1 `act`: the actor as an issued token names it (`sub`, and `iss` when known).
    public var actClaim: JSONValue {
        var members: [String: JSONValue] = ["sub": .string(sub)]
        if let issuer { members["iss"] = .string(issuer) }
        return .object(members)
    }

    /// Reads an `act` claim back, with the actor's other names kept beside it; nil when it has
    /// no string `sub`.
    public init?(act: JSONValue, names: [String]) {
        guard let members = act.objectValue, let sub = members["sub"]?.stringValue else { return nil }
        self.init(issuer: members["iss"]?.stringValue, sub: sub, names: names)
    }

    /// The string values of `nameClaims` in `claims`.
    static func names(in claims: [String: PolicyValue]) -> [String] {
        nameClaims.compactMap { claim in
            if case .string(let value)? = claims[claim] { return value }
            return nil
        }
    }
}
