import CountersignCore

/// Where the policy in force comes from (the server's `PolicyHolder`, reloaded on SIGHUP).
public protocol PolicySource: Sendable {
    /// The policy in force; nil until one has loaded.
    var currentPolicy: Policy? { get }
}

extension PolicySource {
    /// The policy in force, or 503: the server has loaded none yet (docs/POLICY.md, "No policy").
    func required() throws(OAuthError) -> Policy {
        guard let policy = currentPolicy else { throw OAuthError.unavailable(detail: "no policy is loaded") }
        return policy
    }
}
