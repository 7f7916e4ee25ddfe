import CountersignApprovals
import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// An open approver event stream (`GET /api/v1/events`) ends with `listener.ended` and a day's
/// reconnection delay only when its token is no longer good; a store that cannot answer the
/// re-check ends it plainly, so the client reconnects within seconds and is checked afresh.
@Suite struct ApproverEventStreamTests {
    @Test func aStoreThatCannotAnswerTheRecheckEndsTheStreamWithoutListenerEnded() async throws {
        try await LiveServer.with { assembly, serverKey, port in
            let user = User(name: "fiona", createdAt: .epoch)
            try await assembly.store.create(user, audit: AuditRecord(type: "user.created", actor: "test", data: [:]))
            let token = PersonalToken.generate()
            try await assembly.store.replaceToken(
                hash: PersonalToken.hash(token, serverKey: serverKey), for: "fiona", createdAt: .epoch,
                audit: AuditRecord(type: "user.token_created", actor: "test", data: [:]))
            let (connection, opening) = try await RawConnection.offThePool {
                let connection = try RawConnection(port: port)
                try connection.send(
                    Array("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8))
                // The opening comment is written once the listener is registered; the stream stays open.
                return (connection, connection.receive(until: { $0.contains(": listening for approval requests\n\n") }, waiting: 30))
            }
            #expect(opening.hasPrefix("HTTP/1.1 200 "))
            #expect(opening.contains(": listening for approval requests"))
            // The store goes away; the stream is told to check its listener again.
            await assembly.store.close()
            assembly.approvals.events.publishListenerChange("fiona")
            let rest = try await RawConnection.offThePool {
                connection.receive(until: { $0.hasSuffix("0\r\n\r\n") }, waiting: 30)
            }
            #expect(rest.hasSuffix("0\r\n\r\n"), "the stream did not end: \(rest)")
            #expect(!rest.contains("listener.ended"))
            #expect(!rest.contains("86400000"))
        }
    }
}
