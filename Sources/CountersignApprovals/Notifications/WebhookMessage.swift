import CountersignCore
import CountersignOAuth

/// The body of a webhook POST for one approval change: Countersign's JSON event
/// (`type`, `id`, `created_at`, `data` = the request as the approver API shows it), or a
/// Slack-compatible message (`text`) for an incoming-webhook URL.
public enum WebhookMessage {
    /// The body of the `eventID` message about `change`, in the webhook's `format`.
    public static func body(_ change: ApprovalChange, format: Webhook.Format, eventID: String, now: Instant) -> [UInt8] {
        switch format {
        case .json:
            JSONWriter.object([
                ("type", .string(change.eventName)), ("id", .string(eventID)),
                ("created_at", .string(now.rfc3339)), ("data", change.request.apiJSON(now: now)),
            ])
        case .slack:
            JSONWriter.object([("text", .string(slackEscaped(slackText(change, now: now))))])
        }
    }

    /// Slack's control characters in message text (`<!channel>`, `<url|label>`) escaped, so a
    /// client's `binding_message` or context cannot ping a channel or plant a link.
    static func slackEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    /// One line a person reads in a channel: what, for whom, and how to decide it.
    static func slackText(_ change: ApprovalChange, now: Instant) -> String {
        let request = change.request
        let what = (request.authorizationDetails.arrayValue ?? []).map(describe).joined(separator: "; ")
        let binding = request.bindingMessage.map { " (\($0))" } ?? ""
        switch request.state(at: now) {
        case .pending:
            let who = request.approvals.map(\.approver.description).joined(separator: " and ")
            return "Approval needed from \(who): \(what) for \(request.subject) via \(request.clientID)\(binding). "
                + "Request \(request.id), expires \(request.expiresAt.rfc3339). "
                + "Decide with: countersign approve \(request.id) --reason \"...\""
        case let state:
            let by = request.votes.last.map { " by \($0.approver)" } ?? ""
            return "Request \(request.id) (\(what) for \(request.subject)) is \(state.rawValue)\(state == .expired ? "" : by)."
        }
    }

    /// `refund amount=250 currency=EUR at https://…`, from one `authorization_details` entry.
    static func describe(_ detail: JSONValue) -> String {
        guard let members = detail.objectValue else { return "?" }
        var parts = [members["type"]?.stringValue ?? "?"]
        for name in members.keys.sorted() where name != "type" && name != "locations" {
            let value = members[name].map { $0.stringValue ?? CanonicalJSON.exactString($0) } ?? ""
            parts.append("\(name)=\(value)")
        }
        if let locations = members["locations"]?.arrayValue?.compactMap(\.stringValue), !locations.isEmpty {
            parts.append("at \(locations.joined(separator: ", "))")
        }
        return parts.joined(separator: " ")
    }
}
