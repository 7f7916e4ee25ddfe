import CountersignCore
import Testing

/// "Is this approver exactly this person?" (docs/APPROVALS.md, "Who is who"): what grants is
/// compared byte for byte. The owner's own confirmation needs the alias `ISSUER#SUB` exactly,
/// and group membership needs the name or claim value exactly; likeness never grants.
@Suite struct OwnerConfirmationTests {
    static let ownIssuer = "https://countersign.example.com"
    static let idp = "https://idp.example.com"

    static func confirmation(of subject: String, issuer: String?) -> ApprovalRequest {
        ApprovalLifecycleTests.request([ApprovalRequirement(approver: .subject)], subject: subject, issuer: issuer, aliases: [])
    }

    /// An approver as the approver API sees a user of this server: besides their own aliases,
    /// `ISSUER#NAME` with this server as the issuer.
    static func user(_ name: String, aliases: [String] = []) -> Approver {
        Approver(name: name, aliases: aliases + ["\(ownIssuer)#\(name)"])
    }

    struct Impostor: Sendable, CustomTestStringConvertible {
        var subject: String
        var issuer: String
        var approver: Approver
        var testDescription: String { "\(approver.name) \(approver.aliases) for \(issuer)#\(subject)" }
    }

    static let impostors: [Impostor] = [
        // A login_hint subject: user Erin is not user erin.
        Impostor(subject: "erin", issuer: ownIssuer, approver: user("Erin")),
        Impostor(subject: "erin", issuer: ownIssuer, approver: user("ERIN")),
        Impostor(subject: "erin", issuer: ownIssuer, approver: user("er\u{0456}n")),
        Impostor(subject: "erin", issuer: ownIssuer, approver: user("mallory", aliases: ["\(ownIssuer)#Erin"])),
        Impostor(subject: "erin", issuer: ownIssuer, approver: user("mallory", aliases: [" \(ownIssuer)#erin "])),
        // A federated subject: only the exact alias ISSUER#SUB is them.
        Impostor(subject: "alice-x", issuer: idp, approver: user("mallory", aliases: ["\(idp)#Alice-X"])),
        Impostor(subject: "alice-x", issuer: idp, approver: user("mallory", aliases: ["HTTPS://IDP.EXAMPLE.COM#alice-x"])),
        Impostor(subject: "alice-x", issuer: idp, approver: user("mallory", aliases: ["\(idp)#\u{0430}lice-x"])),
        Impostor(subject: "alice-x", issuer: idp, approver: user("mallory", aliases: ["\(idp)#alice\u{200B}-x"])),
        Impostor(subject: "alice-x", issuer: idp, approver: user("mallory", aliases: ["\(idp)#ａｌｉｃｅ-x"])),
        Impostor(subject: "alice-x", issuer: idp, approver: user("alice-x")),
        // Canonically equivalent is not the same bytes: a precomposed é against e + U+0301.
        Impostor(subject: "zo\u{E9}", issuer: idp, approver: user("mallory", aliases: ["\(idp)#zoe\u{301}"])),
    ]

    @Test(arguments: impostors)
    func onlyTheExactIssuerAndSubConfirm(impostor: Impostor) {
        var r = Self.confirmation(of: impostor.subject, issuer: impostor.issuer)
        #expect(r.eligibleRequirements(for: impostor.approver, groups: [:]).isEmpty)
        #expect(throws: ApprovalRefusal(.forbidden, "only \(impostor.subject), who asked for this action, can confirm it")) {
            try r.cast(.approve, reason: nil, by: impostor.approver, groups: [:], now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        }
        #expect(r.state == .pending && r.votes.isEmpty)
    }

    @Test func theLocalUserNamedByLoginHintConfirmsUnderTheirExactName() throws {
        var r = Self.confirmation(of: "erin", issuer: Self.ownIssuer)
        let step = try r.cast(.approve, reason: nil, by: Self.user("erin"), groups: [:], now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        #expect(step.to == .approved)
    }

    @Test func theFederatedOwnerConfirmsUnderTheirExactAlias() throws {
        var r = Self.confirmation(of: "alice-x", issuer: Self.idp)
        let owner = Self.user("a.x", aliases: ["\(Self.idp)#alice-x"])
        #expect(r.eligibleRequirements(for: owner, groups: [:]) == [0])
        #expect(
            try r.cast(.approve, reason: nil, by: owner, groups: [:], now: ApprovalLifecycleTests.t0 + .milliseconds(1)).to == .approved)
    }

    @Test func aLookAlikeOfTheOwnerIsStillRefusedAsTheRequesterInAGroup() {
        // Likeness refuses: Erin may not approve erin's request as a finance lead either.
        var r = ApprovalLifecycleTests.request(subject: "erin", issuer: Self.ownIssuer, aliases: [])
        let erin = Approver(name: "Erin", claims: ["groups": ["finance-leads"]], aliases: ["\(Self.ownIssuer)#Erin"])
        #expect(throws: ApprovalRefusal(.forbidden, "you requested this action; someone else must approve it")) {
            try r.cast(
                .approve, reason: "x", by: erin, groups: ApprovalLifecycleTests.groups, now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        }
    }

    @Test func groupMembershipByClaimIsByteExact() {
        let group = ApproverGroup(name: "caf\u{E9}-leads", claim: "groups", claimValue: "caf\u{E9}-leads")
        #expect(group.contains(sub: "x", claims: ["groups": "caf\u{E9}-leads"]))
        #expect(group.contains(sub: "x", claims: ["groups": ["caf\u{E9}-leads"]]))
        for lookAlike in ["cafe\u{301}-leads", "Caf\u{E9}-leads", "caf\u{E9}-leads "] {
            #expect(!group.contains(sub: "x", claims: ["groups": .string(lookAlike)]), "\(lookAlike.unicodeScalars.map(\.value))")
            #expect(!group.contains(sub: "x", claims: ["groups": [.string(lookAlike)]]))
        }
    }

    @Test func groupMembershipByNameIsByteExact() {
        let group = ApproverGroup(name: "security", members: ["carol", "zo\u{E9}"])
        #expect(group.contains(sub: "carol", claims: [:]) && group.contains(sub: "zo\u{E9}", claims: [:]))
        for lookAlike in ["Carol", "c\u{0430}rol", "car\u{200B}ol", "zoe\u{301}"] {
            #expect(!group.contains(sub: lookAlike, claims: [:]))
        }
    }
}
