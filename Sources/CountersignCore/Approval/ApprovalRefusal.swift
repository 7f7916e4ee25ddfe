/// Why an approver's vote (or a client's redemption) is refused, in words a person
/// understands: "you requested this action", "expired at 10:57".
public struct ApprovalRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// How the approver API answers a refusal: the kind chooses the HTTP status.
    public enum Kind: String, Sendable {
        /// The approver may not decide this request at all (HTTP 403).
        case forbidden
        /// The request or this approver's part in it is already settled (HTTP 409).
        case conflict
        /// A required field is missing or malformed (HTTP 400).
        case invalid
    }

    /// Which answer the refusal gets.
    public let kind: Kind
    /// The refusal in words for the person who was refused.
    public let message: String
    /// The message, as the API, the CLI and the logs show it.
    public var description: String { message }

    /// A refusal of this kind, with the words to show.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
