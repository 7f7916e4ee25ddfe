import CountersignCore
import Testing

@Suite struct RequesterNameTests {
    @Test(arguments: [
        "alice", "Alice", " ALICE ", "\u{0430}lice", "\u{0410}LICE", "ＡＬＩＣＥ", "al\u{200B}ice", "ali\u{00AD}ce",
        "al\u{0456}ce", "\u{03B1}lice", "alic\u{0435}", "al\u{0131}ce",
    ])
    func namesAPersonCannotTellApartHaveOneSkeleton(name: String) {
        #expect(RequesterName.skeleton(name) == "alice", "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(arguments: [("alice", "alicia"), ("bob", "b0b"), ("alice", "alice2"), ("mallory", "malory")])
    func differentNamesStayDifferent(a: String, b: String) {
        #expect(RequesterName.skeleton(a) != RequesterName.skeleton(b))
    }

    @Test(arguments: ["\u{0430}lice", "ＡＬＩＣＥ", "al\u{200B}ice", "\u{03B1}lice@example.com"])
    func theRequesterCannotApproveUnderALookAlikeName(name: String) {
        var r = ApprovalLifecycleTests.request()
        let approver =
            name.contains("@")
            ? ApprovalLifecycleTests.lead("a.smith", email: name) : ApprovalLifecycleTests.lead(name)
        #expect(throws: ApprovalRefusal(.forbidden, "you requested this action; someone else must approve it")) {
            try r.cast(
                .approve, reason: "mine", by: approver, groups: ApprovalLifecycleTests.groups,
                now: ApprovalLifecycleTests.t0 + .milliseconds(1))
        }
        #expect(r.votes.isEmpty && r.state == .pending)
    }

    @Test func aLookAlikeNameNeverMakesAnyoneAMember() {
        // Static members are matched as registered: a Cyrillic "саrоl" is not carol.
        let r = ApprovalLifecycleTests.request([ApprovalRequirement(approver: .group("security"))], subject: "erin")
        #expect(r.eligibleRequirements(for: Approver(name: "carol"), groups: ApprovalLifecycleTests.groups) == [0])
        #expect(r.eligibleRequirements(for: Approver(name: "\u{0441}\u{0430}r\u{043E}l"), groups: ApprovalLifecycleTests.groups).isEmpty)
    }

    @Test func anActorUnderALookAlikeNameCannotConfirmForTheOwner() {
        let r = ApprovalLifecycleTests.request([ApprovalRequirement(approver: .subject)], actor: ["sub": "agent-bot"])
        let actor = Approver(name: "\u{0430}gent-b\u{043E}t", aliases: ["https://idp.example.com#alice"])
        #expect(r.eligibleRequirements(for: actor, groups: ApprovalLifecycleTests.groups).isEmpty)
    }
}
