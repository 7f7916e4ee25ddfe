import Foundation
import Hummingbird
import NIOCore

/// An overall deadline on reading a request body (HOSTILE-TESTS 75). The connection's idle
/// timeout never fires for a client that drips one byte a second, so without it a 64 KiB body
/// could hold a request open for most of a day.
enum RequestBodyDeadline {
    /// 10 seconds, or `COUNTERSIGN_BODY_TIMEOUT` seconds (1-300) where slow links need longer.
    static let limit: Duration = {
        let configured = ProcessInfo.processInfo.environment["COUNTERSIGN_BODY_TIMEOUT"].flatMap { Int($0) }
        return .seconds(configured.map { min(max($0, 1), 300) } ?? 10)
    }()

    /// The body was not complete within `limit`.
    struct Exceeded: Error {}

    /// What the client is told; the route answers 408 and the connection is closed.
    static let description = "the request body took too long"

    /// Collects the body up to `maxBytes` (else `NIOTooManyBytesError`), or throws `Exceeded`
    /// when it has not all arrived within `limit`. Reading stops at the deadline, which ends the
    /// connection's request stream: nothing more is read from it.
    static func collect(_ request: Request, upTo maxBytes: Int, within limit: Duration = limit) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await request.body.collect(upTo: maxBytes) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else { throw Exceeded() }
            return body
        }
    }
}
