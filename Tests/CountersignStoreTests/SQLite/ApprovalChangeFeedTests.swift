import CountersignCore
import CountersignStore
import Testing

/// The approval change feed (`approval_changes`): one row per committed approval change and per
/// listener-ending user change, written in the change's own transaction, told apart by the
/// process that wrote it, and purged by age.
@Suite struct ApprovalChangeFeedTests {
    @Test func userChangesAreFedAndOldRowsArePurged() async throws {
        try await withTemporaryDirectory { dir in
            let clock = ManualClock(NotificationOutboxTests.t0)
            let store = try await SQLiteStore.open(path: dir + "/db.sqlite", clock: clock)
            let start = try await store.approvalChangesHead()
            _ = try await store.create(
                NotificationOutboxTests.request("r1"), audit: [], notifications: [], claim: nil)
            let user = User(name: "fiona", createdAt: clock.now())
            try await store.create(user, audit: AuditRecord(type: "user.created", actor: "test", data: [:]))
            clock.advance(by: .seconds(7200))
            try await store.setDisabled(true, name: "fiona", audit: AuditRecord(type: "user.disabled", actor: "test", data: [:]))
            let (changes, _) = try await store.approvalChanges(after: start, limit: 10)
            #expect(changes.map(\.kind) == [.requested, nil])
            #expect(changes.map(\.userName) == [nil, "fiona"])
            #expect(changes.map(\.madeHere) == [true, true])
            let purged = try await store.purgeApprovalChanges(before: clock.now() - .seconds(3600))
            #expect(purged == 1)
            let left = try await store.approvalChanges(after: start, limit: 10).changes
            #expect(left.map(\.userName) == ["fiona"])
            await store.close()
        }
    }
}
