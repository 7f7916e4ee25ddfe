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
        let path = attribute.path
        switch attribute.root {
        case .action: return .value(.string(action))
        case .resource: return resource.map { .value(.string($0)) } ?? .missing
        case .request:
            if path[0] == "ip" { return ip.map(AttributeValue.ip) ?? .missing }
            return .time(time)
        case .subject:
            if path.count == 1 && path[0] == "sub" { return .value(.string(subject.sub)) }
            return Self.lookup(subject.claims, path)
        case .client:
            if path.count == 1 && path[0] == "id" { return .value(.string(client.id)) }
            return Self.lookup(client.attributes, path)
        case .context:
            return Self.lookup(context, path)
        }
    }

    @inline(__always)
    static func lookup(_ members: [String: PolicyValue], _ path: [String]) -> AttributeValue {
        guard var value = members[path[0]] else { return .missing }
        var i = 1
        while i < path.count {
            guard case .object(let inner) = value, let next = inner[path[i]] else { return .missing }
            value = next
            i += 1
        }
        if case .null = value { return .missing }
        return .value(value)
    }
}
