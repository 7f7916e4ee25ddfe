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
        value(attribute.source, attribute.path.first ?? "", attribute.path.count > 1 ? Array(attribute.path.dropFirst()) : nil)
    }

    @inline(__always)
    func value(_ source: Attribute.Source, _ key: String, _ subpath: [String]?) -> AttributeValue {
        switch source {
        case .action: return .value(.string(action))
        case .resource: return resource.map { .value(.string($0)) } ?? .missing
        case .requestIP: return ip.map(AttributeValue.ip) ?? .missing
        case .requestTime: return .time(time)
        case .subjectSub: return .value(.string(subject.sub))
        case .clientID: return .value(.string(client.id))
        case .subjectClaims: return Self.lookup(subject.claims, key, subpath)
        case .clientAttributes: return Self.lookup(client.attributes, key, subpath)
        case .context: return Self.lookup(context, key, subpath)
        }
    }

    @inline(__always)
    static func lookup(_ members: [String: PolicyValue], _ key: String, _ subpath: [String]?) -> AttributeValue {
        guard var value = member(members, key) else { return .missing }
        if let subpath {
            for name in subpath {
                guard case .object(let inner) = value, let next = inner[name] else { return .missing }
                value = next
            }
        }
        if case .null = value { return .missing }
        return .value(value)
    }

    /// A member by name. Contexts and claim sets are small, and comparing a few short names is
    /// cheaper than seeding and running a hasher, so up to eight members are scanned.
    @inline(__always)
    static func member(_ members: [String: PolicyValue], _ name: String) -> PolicyValue? {
        if members.count <= 8 {
            // Keys only: copying each member's value on the way would retain lists and strings.
            var i = members.startIndex
            while i != members.endIndex {
                if members.keys[i].isExactly(name) { return members.values[i] }
                members.formIndex(after: &i)
            }
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
