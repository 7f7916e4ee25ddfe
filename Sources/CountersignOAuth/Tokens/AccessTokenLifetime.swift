/// Access-token lifetimes, in seconds.
public enum AccessTokenLifetime {
    /// Default lifetime of a client_credentials token: a few minutes (RFC 9700 §2.2.2 favours short).
    public static let standard: Int64 = 300
    /// No access token lives longer; retired signing keys stay published this long.
    public static let maximum: Int64 = 3600
    /// Clock skew tolerated when checking `exp`, `nbf` and `iat` of tokens we verify.
    public static let clockSkew: Int64 = 60
}
