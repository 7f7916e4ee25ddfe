import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A request body must arrive whole within the body deadline (README: `COUNTERSIGN_BODY_TIMEOUT`),
/// else 408 and the connection is closed: over a real socket, through the server's own HTTP
/// pipeline, with the deadline shortened to 300 ms.
@Suite struct RequestBodyDeadlineTests {
    static let body = "grant_type=client_credentials"

    static func withServer(_ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        try await LiveServer.with(bodyDeadline: .milliseconds(300)) { assembly, serverKey, port in
            let client = OAuthClient(
                id: "app", secretHash: ClientSecret.hash(HTTPSurfaceTests.secret, serverKey: serverKey),
                grantTypes: [.clientCredentials], scopes: ["read"], createdAt: .epoch)
            try await assembly.store.create(client, audit: AuditRecord(type: "client.created", actor: "test", data: [:]))
            try await body(port)
        }
    }

    /// A token request whose head declares the whole body, followed by `sent` of it.
    static func request(sending sent: String) -> [UInt8] {
        let credentials = Data("app:\(HTTPSurfaceTests.secret)".utf8).base64EncodedString()
        return Array(
            ("POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Authorization: Basic \(credentials)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(sent)").utf8)
    }

    static func expect408(_ answer: String) {
        let (head, payload) = answer.httpHeadAndBody()
        #expect(head.hasPrefix("HTTP/1.1 408 "))
        #expect(head.lowercased().contains("\r\nconnection: close"))
        #expect(payload == #"{"error":"invalid_request","error_description":"the request body took too long"}"#)
    }

    @Test func aBodyThatStopsArrivingIsAnswered408AndTheConnectionClosed() async throws {
        try await Self.withServer { port in
            let answer = try await RawConnection.offThePool {
                let connection = try RawConnection(port: port)
                try connection.send(Self.request(sending: "grant_type="))
                return connection.receive(waiting: 10)
            }
            Self.expect408(answer)
        }
    }

    @Test func aBodyThatDripsPastTheDeadlineIsAnswered408() async throws {
        try await Self.withServer { port in
            let answer = try await RawConnection.offThePool {
                let connection = try RawConnection(port: port)
                try connection.send(Self.request(sending: ""))
                for byte in Self.body.utf8.prefix(5) {
                    usleep(100_000)
                    try? connection.send([byte])
                }
                return connection.receive(waiting: 10)
            }
            Self.expect408(answer)
        }
    }

    @Test func aBodyThatCameWholeLeavesTheConnectionOpenPastTheDeadline() async throws {
        try await Self.withServer { port in
            let answers = try await RawConnection.offThePool {
                let connection = try RawConnection(port: port)
                try connection.send(Self.request(sending: Self.body))
                let first = connection.receiveAnswer(waiting: 30)
                usleep(600_000)  // twice the deadline, after the whole first body came
                try connection.send(Self.request(sending: Self.body))
                return [first, connection.receiveAnswer(waiting: 30)]
            }
            #expect(answers.map { $0.httpHeadAndBody().head.prefix(13) } == ["HTTP/1.1 200 ", "HTTP/1.1 200 "])
        }
    }
}
