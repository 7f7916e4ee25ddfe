import CountersignCore
import Testing

/// "Could this approver be this person?" (docs/APPROVALS.md, "Who is who"): every kind of link
/// between an approver and a person the request names refuses the vote, and it refuses it the
/// same way whether that person is the subject or the actor of a token exchange.
@Suite struct PersonIdentityTests {
    static let issuer = "https://idp.example.com"

    /// Robin as an identity provider knows them: `sub`, and the name claims.
    static let robin = PersonIdentity(
        issuer: issuer, sub: "robin",
        claims: [
            "email": "robin@example.com", "preferred_username": "rob.in", "upn": "robin@corp.example",
            "roles": ["employee"],
        ])

    /// Someone unrelated, in the other role.
    static let stranger = PersonIdentity(issuer: issuer, sub: "sam", names: ["sam@example.com"])

    enum Role: String, CaseIterable, Sendable { case subject, actor }

    /// A request for one finance lead's approval with Robin in `role`.
    static func request(robinAs role: Role) -> ApprovalRequest {
        let subject = role == .subject ? robin : stranger
        let actor = role == .actor ? robin : stranger
        return ApprovalRequest(
            id: "r1", authReqIDHash: [1], clientID: "agent", subject: subject.sub, subjectIssuer: subject.issuer,
            actor: actor.actClaim, authorizationDetails: [["type": "delete_user"]], audience: "https://api.example.com",
            scopes: [], approvals: [ApprovalRequirement(approver: .group("finance-leads"), quorum: 1)],
            grant: GrantTerms(ttl: 120, oneTime: true), ruleNames: ["leads-approve"], createdAt: ApprovalLifecycleTests.t0,
            expiresAt: ApprovalLifecycleTests.t0 + .milliseconds(900_000), subjectAliases: subject.names, actorAliases: actor.names)
    }

    /// A finance lead linked to Robin by one name (or none).
    static func lead(_ name: String, aliases: [String] = [], claims: [String: PolicyValue] = [:]) -> Approver {
        Approver(name: name, claims: claims.merging(["groups": ["finance-leads"]]) { a, _ in a }, aliases: aliases)
    }

    /// One kind of link between a finance lead and Robin, with Robin as the subject or the actor.
    struct Link: Sendable, CustomTestStringConvertible {
        var name: String
        var approver: Approver
        var role: Role = .subject
        var testDescription: String { "\(name), Robin as \(role.rawValue)" }
    }

    /// Every kind of link.
    static let links: [Link] = [
        Link(name: "user name is the sub", approver: lead("robin")),
        Link(name: "user name is the sub in another case", approver: lead("Robin")),
        Link(name: "user name is the sub with a Cyrillic o", approver: lead("r\u{043E}bin")),
        Link(name: "user name is the sub with a zero-width space", approver: lead("rob\u{200B}in")),
        Link(name: "user name is the preferred_username", approver: lead("rob.in")),
        Link(name: "alias is the bare sub", approver: lead("lee", aliases: ["robin"])),
        Link(name: "alias is ISSUER#SUB", approver: lead("lee", aliases: ["\(issuer)#robin"])),
        Link(name: "alias is ISSUER#SUB in another case", approver: lead("lee", aliases: ["HTTPS://IDP.EXAMPLE.COM#Robin"])),
        Link(name: "alias is ISSUER#SUB with a Cyrillic o", approver: lead("lee", aliases: ["\(issuer)#r\u{043E}bin"])),
        Link(name: "alias is the email", approver: lead("lee", aliases: ["robin@example.com"])),
        Link(name: "alias is the upn", approver: lead("lee", aliases: ["robin@corp.example"])),
        Link(name: "email claim is the email", approver: lead("lee", claims: ["email": "Robin@Example.com"])),
        Link(name: "email claim is the upn", approver: lead("lee", claims: ["email": "robin@corp.example"])),
        Link(name: "preferred_username claim is the sub", approver: lead("lee", claims: ["preferred_username": "robin"])),
        Link(name: "upn claim is the email", approver: lead("lee", claims: ["upn": "robin@example.com"])),
        Link(
            name: "upn claim is the upn with a zero-width joiner",
            approver: lead("lee", claims: ["upn": "robin@corp\u{200D}.example"])),
    ]

    static let cases: [Link] = links.flatMap { link in
        Role.allCases.map { role in
            var each = link
            each.role = role
            return each
        }
    }

    @Test(arguments: cases)
    func anyLinkToTheSubjectOrTheActorRefusesTheVote(link: Link) {
        var r = Self.request(robinAs: link.role)
        #expect(r.isRequester(link.approver))
        #expect(r.eligibleRequirements(for: link.approver, groups: ApprovalLifecycleTests.groups).isEmpty)
        #expect(throws: ApprovalRefusal(.forbidden, "you requested this action; someone else must approve it")) {
            try r.cast(
                .approve, reason: "mine", by: link.approver, groups: ApprovalLifecycleTests.groups,
                now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        }
        #expect(r.votes.isEmpty && r.state == .pending)
    }

    @Test(arguments: Role.allCases)
    func aLeadWithNoLinkToEitherApproves(role: Role) throws {
        var r = Self.request(robinAs: role)
        let lee = Self.lead("lee", aliases: ["\(Self.issuer)#lee"], claims: ["email": "lee@example.com"])
        #expect(!r.isRequester(lee))
        let step = try r.cast(
            .approve, reason: "checked", by: lee, groups: ApprovalLifecycleTests.groups, now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        #expect(step.to == .approved)
    }

    @Test func theActorsNamesAreStoredAndReadBack() throws {
        let r = Self.request(robinAs: .actor)
        let back = try #require(
            ApprovalRequest(
                id: r.id, authReqIDHash: r.authReqIDHash, clientID: r.clientID, state: r.state, details: r.detailsJSON,
                createdAt: r.createdAt, expiresAt: r.expiresAt, votes: [], decidedAt: nil, redeemedAt: nil, tokenID: nil))
        #expect(back == r)
        #expect(back.actorIdentity == Self.robin)
        #expect(back.actor == ["sub": "robin", "iss": .string(Self.issuer)])
    }

    @Test func aRequestStoredBeforeActorNamesWereKeptStillRefusesTheActorByIssuerAndSub() throws {
        var details = try #require(Self.request(robinAs: .actor).detailsJSON.objectValue)
        details["actor_aliases"] = nil
        let old = try #require(
            ApprovalRequest(
                id: "r1", authReqIDHash: [1], clientID: "agent", state: .pending, details: .object(details),
                createdAt: ApprovalLifecycleTests.t0, expiresAt: ApprovalLifecycleTests.t0 + .milliseconds(900_000), votes: [],
                decidedAt: nil, redeemedAt: nil, tokenID: nil))
        #expect(old.actorAliases.isEmpty)
        #expect(old.isRequester(Self.lead("lee", aliases: ["\(Self.issuer)#robin"])))
        #expect(old.isRequester(Self.lead("Robin")))
    }

    @Test(arguments: [JSONValue.object(["iss": .string(issuer)]), .object(["sub": 7]), .string("robin")])
    func aStoredActorWithoutASubCannotBeReadRatherThanGoUnrecognised(act: JSONValue) throws {
        var details = try #require(Self.request(robinAs: .actor).detailsJSON.objectValue)
        details["act"] = act
        #expect(
            ApprovalRequest(
                id: "r1", authReqIDHash: [1], clientID: "agent", state: .pending, details: .object(details),
                createdAt: ApprovalLifecycleTests.t0, expiresAt: ApprovalLifecycleTests.t0 + .milliseconds(900_000), votes: [],
                decidedAt: nil, redeemedAt: nil, tokenID: nil) == nil)
    }

    @Test func theActClaimIsSubAndIssOnly() {
        #expect(Self.robin.actClaim == ["sub": "robin", "iss": .string(Self.issuer)])
        #expect(PersonIdentity(issuer: nil, sub: "bot").actClaim == ["sub": "bot"])
    }
}
