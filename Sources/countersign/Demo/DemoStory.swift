import CountersignCore
import Foundation

/// The scripted story of `countersign demo`: each step is a real request to the running
/// server, printed with what it shows, and checked, so a wrong answer stops the demo with a
/// non-zero exit instead of telling a story that is not true.
struct DemoStory: Sendable {
    let server: DemoClient
    let idp: DemoIdentityProvider
    let idpIssuer: String
    let agent: (id: String, secret: String)
    let paymentsAPI: (id: String, secret: String)
    /// Personal API tokens of the two finance leads.
    let approvers: [String: String]
    let print: @Sendable (String) -> Void

    static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    static let jwtType = "urn:ietf:params:oauth:token-type:jwt"
    static let payments = "https://api.example.com"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Failure(description: "demo step failed: \(message())") }
    }

    /// Seconds since 1970, for the identity provider's JWT NumericDates.
    var now: Int64 { SystemClock().now().secondsSince1970 }

    func signIn(_ subject: String, roles: [String], acr: String, authenticatedSecondsAgo: Int64) -> String {
        print(
            "  \(subject) signs in at the identity provider: roles \(roles.joined(separator: ", ")), acr \(acr), "
                + (authenticatedSecondsAgo == 0 ? "just now" : "\(authenticatedSecondsAgo / 60) minutes ago"))
        return idp.token(
            issuer: idpIssuer, subject: subject, now: now,
            claims: [
                "realm_access": ["roles": .array(roles.map(JSONValue.string))], "acr": .string(acr),
                "auth_time": .number(JSONNumber(now - authenticatedSecondsAgo)),
            ])
    }

    /// Token exchange for one action: the user's IdP token in, an action token (or a reason) out.
    func ask(_ subjectToken: String, for detail: JSONValue) async throws -> DemoClient.Answer {
        let details = CanonicalJSON.exactString([detail])
        print("  POST /token  grant_type=token-exchange  resource=\(Self.payments)")
        print("               authorization_details=\(details)")
        return try await server.post(
            "/token", client: agent,
            form: [
                ("grant_type", Self.tokenExchange), ("subject_token", subjectToken), ("subject_token_type", Self.jwtType),
                ("resource", Self.payments), ("authorization_details", details),
            ])
    }

    func poll(_ authReqID: String) async throws -> DemoClient.Answer {
        try await server.post(
            "/token", client: agent, form: [("grant_type", "urn:openid:params:grant-type:ciba"), ("auth_req_id", authReqID)])
    }

    func introspect(_ token: String) async throws -> Bool {
        let answer = try await server.post("/introspect", client: paymentsAPI, form: [("token", token)])
        try check(answer.status == 200, "introspection answered \(answer.status) \(answer.error)")
        return answer["active"] == .bool(true)
    }

    func outcome(_ answer: DemoClient.Answer) -> String {
        answer.status == 200 ? "200 allow" : "\(answer.status) \(answer.error): \(answer.errorDescription)"
    }

    func run() async throws {
        let refund25: JSONValue = [
            "type": "refund", "locations": ["https://api.example.com/payments/p-17"], "amount": 25, "currency": "EUR",
        ]
        print("\nStep 1. A small refund is allowed at once, as a one-time token for exactly that refund")
        let alice = signIn("alice", roles: ["employee"], acr: "mfa", authenticatedSecondsAgo: 0)
        let small = try await ask(alice, for: refund25)
        print("  → \(outcome(small))")
        try check(small.status == 200, "the 25 EUR refund was not allowed: \(outcome(small))")
        guard let token = small["access_token"]?.stringValue else { throw Failure(description: "no access_token") }
        let claims = DemoClient.claims(of: token)
        print(
            "    the token (claims): aud \(claims["aud"]?.stringValue ?? "?"), one_time \(claims["one_time"] == .bool(true)), "
                + "expires in \((claims["exp"]?.int64Value ?? 0) - now) s")
        print("    authorization_details \(CanonicalJSON.exactString(claims["authorization_details"] ?? .null))")
        try check(claims["authorization_details"] == [refund25], "the token does not carry exactly the refund asked for")

        print("\nStep 2. The payments API checks the token once; a second use is refused")
        let first = try await introspect(token)
        print("  POST /introspect (as payments-api) → active: \(first)")
        let second = try await introspect(token)
        print("  POST /introspect again            → active: \(second)  (one-time: spent by the first check)")
        try check(first && !second, "a one-time token was not spent by its first introspection")

        print("\nStep 3. A refund of 250 EUR needs two finance leads to countersign; then the client redeems it once")
        let large = try await ask(
            alice, for: ["type": "refund", "locations": ["https://api.example.com/payments/p-18"], "amount": 250, "currency": "EUR"])
        print("  → \(outcome(large))")
        try check(large.error == "approval_required", "the 250 EUR refund did not ask for approval")
        print(
            "    auth_req_id issued (kept secret here), expires in \(large["expires_in"]?.int64Value ?? 0) s, "
                + "poll every \(large["interval"]?.int64Value ?? 0) s; the request waits in the store as pending")
        guard let authReqID = large["auth_req_id"]?.stringValue else { throw Failure(description: "no auth_req_id") }
        let pending = try await poll(authReqID)
        print("  the client polls: POST /token grant_type=ciba auth_req_id=… → \(outcome(pending))")
        try check(pending.error == "authorization_pending", "the first poll was not authorization_pending")
        let inbox = try await server.get("/api/v1/approval-requests", bearer: approvers["fiona"] ?? "")
        guard let requestID = inbox["approval_requests"]?.arrayValue?.first?.objectValue?["id"]?.stringValue else {
            throw Failure(description: "fiona's inbox is empty")
        }
        print("  fiona's inbox: GET /api/v1/approval-requests → request \(requestID) (refund 250 EUR for alice)")
        for (name, reason) in [("fiona", "customer called, order p-18 was returned"), ("gita", "matches the return")] {
            let answer = try await server.postJSON(
                "/api/v1/approval-requests/\(requestID)/approve", bearer: approvers[name] ?? "", body: ["reason": .string(reason)])
            print("  \(name) approves (\"\(reason)\") → \(answer.status) state \(answer["state"]?.stringValue ?? "?")")
            try check(answer.status == 200, "\(name)'s approval was refused: \(answer.errorDescription)")
        }
        let redeemed = try await poll(authReqID)
        print("  the client polls again → \(outcome(redeemed))")
        try check(redeemed.status == 200, "the approved request was not redeemed: \(outcome(redeemed))")
        let approved = DemoClient.claims(of: redeemed["access_token"]?.stringValue ?? "")
        print("    the token's approval claim: \(CanonicalJSON.exactString(approved["approval"] ?? .null))")
        let replay = try await poll(authReqID)
        print("  polling once more → \(outcome(replay))")
        try check(replay.error == "invalid_grant", "an approval was redeemed twice")

        print("\nStep 4. A very large refund needs a fresh MFA: alice signed in two hours ago")
        let stale = signIn("alice", roles: ["employee"], acr: "mfa", authenticatedSecondsAgo: 7200)
        let huge = try await ask(
            stale, for: ["type": "refund", "locations": ["https://api.example.com/payments/p-19"], "amount": 20000, "currency": "EUR"])
        print("  → \(outcome(huge))")
        print("    acr_values \(huge["acr_values"]?.stringValue ?? "-"), max_age \(huge["max_age"]?.int64Value ?? 0) s (RFC 9470)")
        try check(huge.error == "insufficient_user_authentication", "the 20,000 EUR refund did not ask for a step-up")

        print("\nStep 5. A contractor may never delete a user, whatever else is true")
        let bob = signIn("bob", roles: ["contractor"], acr: "mfa", authenticatedSecondsAgo: 0)
        let deletion = try await ask(bob, for: ["type": "delete_user", "locations": ["https://api.example.com/users/u-42"]])
        print("  → \(outcome(deletion))")
        try check(deletion.error == "access_denied", "the contractor's deletion was not denied")

        print("\nStep 6. A forged identity token (alg none, no signature) is refused")
        let forged = idp.unsignedToken(issuer: idpIssuer, subject: "alice", now: now, claims: ["realm_access": ["roles": ["admin"]]])
        let refusal = try await ask(forged, for: refund25)
        print("  → \(outcome(refusal))")
        try check(refusal.error == "invalid_request", "a forged subject token was not refused")
    }
}
