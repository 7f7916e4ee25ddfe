/// A person who decides approval requests: a user of the store, as of the moment they vote
/// (membership is checked at vote time, so a user removed from a group can no longer vote).
public struct Approver: Sendable, Equatable {
    /// The user name, which static group members name.
    public var name: String
    /// The claims groups are derived from (`groups`, `roles`, and any `--claim`).
    public var claims: [String: PolicyValue]
    /// Other names the same person goes by: an e-mail address, an identity at an IdP as
    /// `ISSUER#SUB`. The requester is recognised through any of them (`PersonIdentity`).
    public var aliases: [String]

    /// An approver as the store knows them when they vote.
    public init(name: String, claims: [String: PolicyValue] = [:], aliases: [String] = []) {
        self.name = name
        self.claims = claims
        self.aliases = aliases
    }

    /// Every name this approver goes by: the user name, every alias and the name claims
    /// (`PersonIdentity.nameClaims`), for `PersonIdentity.couldBe`.
    var names: [String] { [name] + aliases + PersonIdentity.names(in: claims) }
}
