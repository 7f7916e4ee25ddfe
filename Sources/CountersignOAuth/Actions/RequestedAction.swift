import CountersignCore

/// One action a token request asks for: an RFC 9396 `authorization_details` entry whose `type`
/// is the action, whose `locations` are the resources and whose other members are the
/// decision's context, or a scope equal to an action's name.
public struct RequestedAction: Sendable {
    /// The action's name: the entry's `type` (RFC 9396 §2) or the action scope.
    public let action: String
    /// The entry's `locations` in normal form (POLICY.md §3): what policy decides on.
    public let locations: [ResourceLocation]
    /// The entry's other members, checked against the action's fields: the decision's `context.*`.
    public let context: [String: PolicyValue]
    /// The entry as sent, but for its `locations` in normal form; the token carries exactly this.
    public let detail: JSONValue
}

/// Reads and validates `authorization_details` against the policy's actions. Every refusal is
/// 400 `invalid_authorization_details` naming the entry and the field (RFC 9396 §5).
enum AuthorizationDetails {
    static let maxBytes = 16 * 1024
    static let maxEntries = 10
    static let maxLocations = 10
    static let maxDepth = 8

    static func invalid(_ description: String) -> OAuthError {
        OAuthError(.invalidAuthorizationDetails, description)
    }

    static func parse(_ text: String, policy: Policy) throws(OAuthError) -> [RequestedAction] {
        guard text.utf8.count <= maxBytes else { throw invalid("authorization_details is larger than \(maxBytes) bytes") }
        let json: JSONValue
        do {
            json = try JSONParser(maxDepth: maxDepth).parse(text)
        } catch {
            throw invalid("authorization_details is not valid JSON: \(error.description)")
        }
        guard case .array(let entries) = json else { throw invalid("authorization_details must be a JSON array of objects") }
        guard !entries.isEmpty else { throw invalid("authorization_details is an empty array") }
        guard entries.count <= maxEntries else {
            throw invalid("authorization_details has more than \(maxEntries) entries")
        }
        var actions: [RequestedAction] = []
        for (index, entry) in entries.enumerated() {
            actions.append(try parseEntry(entry, at: "authorization_details[\(index)]", policy: policy))
        }
        return actions
    }

    static func parseEntry(_ entry: JSONValue, at position: String, policy: Policy) throws(OAuthError) -> RequestedAction {
        guard case .object(let members) = entry else { throw invalid("\(position) is not a JSON object") }
        guard let typeValue = members["type"] else { throw invalid("\(position) has no type") }
        guard case .string(let type) = typeValue else { throw invalid("\(position).type must be a string") }
        guard let definition = policy.action(named: type) else {
            throw invalid("\(position).type \(type.prefix(60)) is not an action of this server (see authorization_details_types_supported)")
        }
        var locations: [ResourceLocation] = []
        var detail = members
        if let value = members["locations"] {
            guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
                throw invalid("\(position).locations must be an array of strings")
            }
            guard items.count <= maxLocations else { throw invalid("\(position).locations has more than \(maxLocations) entries") }
            for location in items.compactMap(\.stringValue) {
                // Normalised before policy sees it, and the token names the normal form.
                do { locations.append(try definition.resourceLocation(location)) } catch {
                    throw invalid("\(position).locations: \(error.message)")
                }
            }
            detail["locations"] = .array(locations.map { .string($0.uri) })
        }
        if locations.isEmpty, let pattern = definition.resource {
            // A resource rule must never be dodged by leaving the resource out.
            throw invalid("\(position).locations is required: \(type) acts on a resource (\(pattern.pattern))")
        }
        var context: [String: PolicyValue] = [:]
        for (name, value) in members where name != "type" && name != "locations" {
            do { context[name] = try PolicyValue(json: value, path: name) } catch {
                throw invalid("\(position).\(error.path): \(error.message)")
            }
        }
        do { try definition.validate(context: context) } catch {
            throw invalid("\(position).\(error.field): \(error.message)")
        }
        return RequestedAction(action: type, locations: locations, context: context, detail: .object(detail))
    }

    /// A scope token naming an action: the action without context (an action with required
    /// fields must be asked for as `authorization_details`).
    static func fromScope(_ name: String, policy: Policy) throws(OAuthError) -> RequestedAction? {
        guard let definition = policy.action(named: name) else { return nil }
        if let pattern = definition.resource {
            throw OAuthError(
                .invalidScope,
                "the action \(name) acts on a resource (\(pattern.pattern)); request it as authorization_details with locations")
        }
        do { try definition.validate(context: [:]) } catch {
            throw OAuthError(
                .invalidScope, "the action \(name) needs context (\(error.message)); request it as authorization_details")
        }
        return RequestedAction(action: name, locations: [], context: [:], detail: .object(["type": .string(name)]))
    }
}
