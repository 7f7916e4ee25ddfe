import CountersignCore
import Foundation

/// RFC 8707 §2: `resource` is an absolute URI without a fragment, naming a resource server we
/// know (a client created with `--resource`); otherwise `invalid_target`. Absent, the audience
/// of a plain scope token is the issuer itself (RFC 9068 §3 asks for a default); an action
/// token's audience is always a resource server (`CheckActionAudience`).
enum CheckResource {
    static let maxLength = 2048

    /// An absolute URI with a host and without a fragment, at most `maxLength` bytes (RFC 8707
    /// `resource`, RFC 9396 `locations`).
    static func isAbsoluteURI(_ text: String) -> Bool {
        guard text.utf8.count <= maxLength, !text.utf8.contains(UInt8(ascii: "#")), let url = URL(string: text),
            let scheme = url.scheme
        else { return false }
        return !scheme.isEmpty && url.host != nil
    }

    static func audience(
        requested: String?, defaultAudience: String, directory: ClientDirectory
    ) async throws(OAuthError)
        -> String
    {
        guard let requested else { return defaultAudience }
        guard isAbsoluteURI(requested) else {
            throw OAuthError(.invalidTarget, "resource must be an absolute URI without a fragment")
        }
        if requested == defaultAudience { return requested }
        guard await directory.isRegisteredResource(requested) else {
            throw OAuthError(.invalidTarget, "resource is not a registered resource server")
        }
        return requested
    }
}
