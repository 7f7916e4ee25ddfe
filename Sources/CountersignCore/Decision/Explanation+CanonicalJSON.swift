/// The explanation written straight into its RFC 8785 form, the bytes
/// `CanonicalJSON.bytes(explanation.json)` gives, without building the JSON value first: a
/// decision's audit event carries one per action, so no dictionary is built or sorted for it.
/// Members are written in their canonical (sorted) order;
/// every number is an integer, so the canonical form is also the exact one.
/// `ExplanationJSONTests` holds the two forms equal.
extension Explanation {
    /// Appends the explanation's RFC 8785 bytes to `out`.
    public func writeCanonicalJSON(into out: inout [UInt8]) {
        // action, outcome, reason, requirements, rules
        out.append(contentsOf: #"{"action":"#.utf8)
        CanonicalJSON.writeString(action, into: &out)
        out.append(contentsOf: #","outcome":"#.utf8)
        CanonicalJSON.writeString(outcome.rawValue, into: &out)
        if let reason {
            out.append(contentsOf: #","reason":"#.utf8)
            CanonicalJSON.writeString(reason, into: &out)
        }
        out.append(contentsOf: #","requirements":"#.utf8)
        requirements.writeCanonicalJSON(into: &out)
        out.append(contentsOf: #","rules":["#.utf8)
        for (index, line) in rules.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            // condition_line, effect, failed_condition, line, matched, rule, seen
            out.append(UInt8(ascii: "{"))
            if let location = line.conditionLocation {
                out.append(contentsOf: #""condition_line":"#.utf8)
                Self.writeInteger(location.line, into: &out)
                out.append(UInt8(ascii: ","))
            }
            out.append(contentsOf: #""effect":"#.utf8)
            CanonicalJSON.writeString(line.effect.rawValue, into: &out)
            if let condition = line.failedCondition {
                out.append(contentsOf: #","failed_condition":"#.utf8)
                CanonicalJSON.writeString(condition, into: &out)
            }
            out.append(contentsOf: #","line":"#.utf8)
            Self.writeInteger(line.location.line, into: &out)
            out.append(contentsOf: (line.matched ? #","matched":true"# : #","matched":false"#).utf8)
            out.append(contentsOf: #","rule":"#.utf8)
            CanonicalJSON.writeString(line.rule, into: &out)
            if let seen = line.seen {
                out.append(contentsOf: #","seen":"#.utf8)
                CanonicalJSON.writeString(seen, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
    }

    /// An integer as RFC 8785 writes it: its decimal digits (every value here is far below 2^53).
    static func writeInteger(_ value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }
}

extension Requirements {
    /// `json` in its RFC 8785 form; see `Explanation.writeCanonicalJSON`.
    public func writeCanonicalJSON(into out: inout [UInt8]) {
        // approvals, grant, step_up
        out.append(UInt8(ascii: "{"))
        if !approvals.isEmpty {
            out.append(contentsOf: #""approvals":["#.utf8)
            for (index, a) in approvals.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                // deny_quorum, expires_in, group, quorum, reason_required, subject
                out.append(UInt8(ascii: "{"))
                if a.denyQuorum > 1 {
                    out.append(contentsOf: #""deny_quorum":"#.utf8)
                    Explanation.writeInteger(a.denyQuorum, into: &out)
                    out.append(UInt8(ascii: ","))
                }
                out.append(contentsOf: #""expires_in":"#.utf8)
                Explanation.writeInteger(a.expiresIn, into: &out)
                if case .group(let group) = a.approver {
                    out.append(contentsOf: #","group":"#.utf8)
                    CanonicalJSON.writeString(group, into: &out)
                }
                out.append(contentsOf: #","quorum":"#.utf8)
                Explanation.writeInteger(a.quorum, into: &out)
                out.append(contentsOf: (a.reasonRequired ? #","reason_required":true"# : #","reason_required":false"#).utf8)
                if case .subject = a.approver { out.append(contentsOf: #","subject":true"#.utf8) }
                out.append(UInt8(ascii: "}"))
            }
            out.append(contentsOf: "],".utf8)
        }
        // one_time, reuse, ttl
        out.append(contentsOf: (grant.oneTime ? #""grant":{"one_time":true"# : #""grant":{"one_time":false"#).utf8)
        if let reuse = grant.reuse {
            out.append(contentsOf: #","reuse":"#.utf8)
            Explanation.writeInteger(reuse, into: &out)
        }
        if let ttl = grant.ttl {
            out.append(contentsOf: #","ttl":"#.utf8)
            Explanation.writeInteger(ttl, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        if let stepUp {
            // acr, max_age
            out.append(contentsOf: #","step_up":{"#.utf8)
            if let acr = stepUp.acr {
                out.append(contentsOf: #""acr":"#.utf8)
                CanonicalJSON.writeString(acr, into: &out)
            }
            if let maxAge = stepUp.maxAge {
                if stepUp.acr != nil { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: #""max_age":"#.utf8)
                Explanation.writeInteger(maxAge, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
    }
}
