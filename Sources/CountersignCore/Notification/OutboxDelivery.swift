/// One notification to deliver because an approval request changed: a CIBA ping or push to the
/// client (OpenID CIBA Core §10.2, §10.3) or one webhook's event. It is written to the store's
/// outbox in the transaction that made the change, so it outlives the process that made it: a
/// delivery not yet made, or waiting for its retry, is taken up again after a restart or by
/// another server process on the same store. It never holds a plaintext secret: the endpoint's
/// token and the `auth_req_id` stay sealed with the request, and a pushed token response is kept
/// only sealed (`sealedPayload`).
public struct OutboxDelivery: Sendable, Equatable {
    /// To whom: the client by CIBA ping (§10.2) or push (§10.3), or one webhook.
    public enum Kind: String, Sendable, CaseIterable {
        case ping, push, webhook
    }

    /// Random; for a webhook also its `Countersign-Delivery` header, the same on every retry.
    public var id: String
    /// The approval request it is about.
    public var requestID: String
    /// Ping, push or webhook.
    public var kind: Kind
    /// The webhook it goes to (webhooks only).
    public var webhookID: String?
    /// `approval.requested` or `approval.decided`.
    public var event: String
    /// Attempts made so far.
    public var attempts: Int
    /// Not before then.
    public var nextAttemptAt: Instant
    /// For a push whose token was issued: the body to send, sealed under the server key
    /// (`SealedSecret`, purpose `pushPayloadPurpose`), so that every retry sends that very token.
    public var sealedPayload: [UInt8]?
    /// When the sealed payload's token expires; it is not sent after then.
    public var payloadExpiresAt: Instant?
    /// The claim this copy of the row was taken under (`OutboxClaim.claimant`), nil when
    /// unclaimed: finishing or rescheduling the row needs that very claim, so an attempt whose
    /// claim lapsed and was taken again (even in the same process) changes nothing.
    public var claimant: String?

    /// A row as the store writes it or reads it back.
    public init(
        id: String, requestID: String, kind: Kind, webhookID: String? = nil, event: String, attempts: Int = 0,
        nextAttemptAt: Instant, sealedPayload: [UInt8]? = nil, payloadExpiresAt: Instant? = nil, claimant: String? = nil
    ) {
        self.id = id
        self.requestID = requestID
        self.kind = kind
        self.webhookID = webhookID
        self.event = event
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.sealedPayload = sealedPayload
        self.payloadExpiresAt = payloadExpiresAt
        self.claimant = claimant
    }

    /// The `SealedSecret` purpose of this delivery's pushed token response: bound to the
    /// delivery, so a sealed payload cannot be moved to another row.
    public var pushPayloadPurpose: String { "countersign pushed token response \(id)" }
}

/// Who is delivering an outbox row and until when: a process claims the rows it will deliver,
/// and nobody else takes them before `until` has passed. A claim that
/// lapses (its process died) lets any server process take the row.
public struct OutboxClaim: Sendable, Equatable {
    /// Who claims: random per claim (the process's name and a random suffix), so two claims of
    /// one row, even by one process, are told apart.
    public var claimant: String
    /// When the claim lapses and any process may take the row again.
    public var until: Instant

    /// A claim by `claimant` until `until`.
    public init(claimant: String, until: Instant) {
        self.claimant = claimant
        self.until = until
    }

    /// A claimant name for one claim by `process`.
    public static func fresh(_ process: String) -> String {
        "\(process)/\(String(UInt64.random(in: .min ... .max), radix: 16))"
    }
}

/// A pushed token response to keep, sealed, with its outbox row: written in the transaction
/// that redeems the request, so the token is never issued without it.
public struct OutboxPayload: Sendable, Equatable {
    /// The outbox row it belongs to.
    public var deliveryID: String
    /// The token response, sealed with `OutboxDelivery.pushPayloadPurpose`.
    public var sealed: [UInt8]
    /// When the token expires.
    public var expiresAt: Instant

    /// A sealed token response for the row `deliveryID`, dropped once the token expires.
    public init(deliveryID: String, sealed: [UInt8], expiresAt: Instant) {
        self.deliveryID = deliveryID
        self.sealed = sealed
        self.expiresAt = expiresAt
    }
}
