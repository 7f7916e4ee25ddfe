import CountersignCore

import Foundation

/// RFC 8707 §2: `resource` is an absolute URI without a fragment, naming a resource server we
/// know (a client created with `--resource`); otherwise `invalid_target`. Absent, the audience
/// is the issuer itself (RFC 9068 §3 asks for a default).
enum CheckResource {
    static let maxLength = 2048

    static func audience(requested: String?, defaultAudience: String, directory: ClientDirectory) async throws(OAuthError)
        -> String
    {
        guard let requested else { return defaultAudience }
        guard requested.utf8.count <= maxLength, let url = URL(string: requested), let scheme = url.scheme,
            !scheme.isEmpty, url.host != nil, !requested.contains("#")
        else {
            throw OAuthError(.invalidTarget, "resource must be an absolute URI without a fragment")
        }
        if requested == defaultAudience { return requested }
        guard await directory.isRegisteredResource(requested) else {
            throw OAuthError(.invalidTarget, "resource is not a registered resource server")
        }
        return requested
    }
}
