/// What an attribute holds in one request: a value, an address, an instant, or nothing.
enum AttributeValue {
    case missing
    case value(PolicyValue)
    case ip(IPAddress)
    case time(Int64)
}

extension DecisionRequest {
    /// Reads an attribute. JSON `null` counts as missing.
    func value(of attribute: Attribute) -> AttributeValue {
        switch attribute.source {
        case .action: return .value(.string(action))
        case .resource: return resource.map { .value(.string($0)) } ?? .missing
        case .requestIP: return ip.map(AttributeValue.ip) ?? .missing
        case .requestTime: return .time(time)
        case .subjectSub: return .value(.string(subject.sub))
        case .clientID: return .value(.string(client.id))
        case .subjectClaims: return Self.lookup(subject.claims, attribute.path)
        case .clientAttributes: return Self.lookup(client.attributes, attribute.path)
        case .context: return Self.lookup(context, attribute.path)
        }
    }

    @inline(__always)
    static func lookup(_ members: [String: PolicyValue], _ path: [String]) -> AttributeValue {
        guard var value = member(members, path[0]) else { return .missing }
        var i = 1
        while i < path.count {
            guard case .object(let inner) = value, let next = inner[path[i]] else { return .missing }
            value = next
            i += 1
        }
        if case .null = value { return .missing }
        return .value(value)
    }

    /// A member by name. Contexts and claim sets are small, and comparing a few short names is
    /// cheaper than seeding and running a hasher, so up to eight members are scanned.
    @inline(__always)
    static func member(_ members: [String: PolicyValue], _ name: String) -> PolicyValue? {
        if members.count <= 8 {
            for (key, value) in members where key == name { return value }
            return nil
        }
        return members[name]
    }
}

/// One attribute's value during one decision, read on first use; an address parsed from a
/// string is kept too, so each attribute is looked up and parsed at most once per decision.
struct AttributeSlot {
    var isRead = false
    var value = AttributeValue.missing
    var addressParsed = false
    var address: IPAddress?
}
