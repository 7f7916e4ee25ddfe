import CountersignCore

/// An action token's audience is the resource server that will act on it, never this
/// authorization server (ACTION-TOKENS.md, "The audience"). The rules, in order:
/// 1. `resource` (RFC 8707; or RFC 8693 `audience` naming the same) when sent: a registered
///    resource server, else `invalid_target`; every location of the request must lie under it,
///    else `invalid_authorization_details` naming the location;
/// 2. else the registered resource server whose URI covers every location of the request
///    (`ResourceLocation.isCovered(by:)`), the longest when several do;
/// 3. else `invalid_target` (RFC 8707 §2) naming the location no resource server covers, or
///    asking for `resource` when the request has no location.
enum CheckActionAudience {
    static func audience(
        requested: String?, actions: [RequestedAction], directory: ClientDirectory
    )
        async throws(OAuthError) -> ActionAudience
    {
        if let requested {
            guard CheckResource.isAbsoluteURI(requested) else {
                throw OAuthError(.invalidTarget, "resource must be an absolute URI without a fragment")
            }
            guard await directory.isRegisteredResource(requested) else {
                throw OAuthError(.invalidTarget, "resource is not a registered resource server")
            }
            try checkLocations(actions, under: requested)
            return ActionAudience(uri: requested)
        }
        let locations = actions.flatMap(\.locations)
        guard !locations.isEmpty else {
            throw OAuthError(
                .invalidTarget,
                "resource is required: name the resource server that will act on this action token (RFC 8707); the request has no locations to find it by"
            )
        }
        do {
            return ActionAudience(uri: try covering(locations, among: directory.resourceServers()))
        } catch {
            // A resource server registered a moment ago is not in the snapshot yet.
            guard await directory.reloadAfterMiss() else { throw error }
            return ActionAudience(uri: try covering(locations, among: directory.resourceServers()))
        }
    }

    /// Every location must lie under the requested audience, so a token for one API never
    /// names another's resources.
    static func checkLocations(_ actions: [RequestedAction], under audience: String) throws(OAuthError) {
        let server = try? ResourceLocation(normalizing: audience)
        for (index, action) in actions.enumerated() {
            for location in action.locations where !(server.map(location.isCovered(by:)) ?? false) {
                throw OAuthError(
                    .invalidAuthorizationDetails,
                    "authorization_details[\(index)].locations: \(location.uri.prefix(80)) is not a resource of the audience \(audience.prefix(80))"
                )
            }
        }
    }

    /// The registered resource server URI (as registered) that covers every location: the
    /// longest in normal form when several do, the first in sorted order on a tie.
    static func covering(_ locations: [ResourceLocation], among servers: [String]) throws(OAuthError) -> String {
        let known = servers.compactMap { uri in (try? ResourceLocation(normalizing: uri)).map { (uri: uri, location: $0) } }
        var candidates = known
        for location in locations {
            guard known.contains(where: { location.isCovered(by: $0.location) }) else {
                throw OAuthError(
                    .invalidTarget, "no registered resource server covers the location \(location.uri.prefix(80)) (RFC 8707 section 2)")
            }
            candidates.removeAll { !location.isCovered(by: $0.location) }
            guard !candidates.isEmpty else {
                throw OAuthError(
                    .invalidTarget,
                    "no one registered resource server covers every location: \(location.uri.prefix(80)) lies outside those that cover the locations before it; ask for one token per resource server"
                )
            }
        }
        let best = candidates.min { a, b in
            let (lengthA, lengthB) = (a.location.uri.utf8.count, b.location.uri.utf8.count)
            return lengthA != lengthB ? lengthA > lengthB : a.uri < b.uri
        }
        guard let best else { throw OAuthError(.invalidTarget, "no registered resource server covers the locations") }
        return best.uri
    }
}

/// The audience of an action token as `CheckActionAudience` chose it. Only that check makes
/// one, so no action token is decided or minted for an audience that was not checked.
struct ActionAudience: Sendable, Equatable {
    let uri: String

    fileprivate init(uri: String) {
        self.uri = uri
    }
}
