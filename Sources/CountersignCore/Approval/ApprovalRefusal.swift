/// Why an approver's vote (or a client's redemption) is refused, in words a person
/// understands: "you requested this action", "expired at 10:57".
public struct ApprovalRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The approver may not decide this request at all (HTTP 403).
        case forbidden
        /// The request or this approver's part in it is already settled (HTTP 409).
        case conflict
        /// A required field is missing or malformed (HTTP 400).
        case invalid
    }

    public let kind: Kind
    public let message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
