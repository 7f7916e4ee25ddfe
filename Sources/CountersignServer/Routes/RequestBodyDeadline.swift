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
    /// when a part of it arrives after `limit`: a drip is cut at its first byte past the limit,
    /// and a client that stops sending altogether meets the connection's idle timeout. The clock
    /// is read once per arriving part; there is no timer task per request, which cost the token
    /// endpoint measurable throughput.
    static func collect(
        _ request: Request, context: CountersignRequestContext, upTo maxBytes: Int, within limit: Duration = limit
    ) async throws -> ByteBuffer {
        let deadline = ContinuousClock.now.advanced(by: limit)
        var collected: ByteBuffer?
        for try await var part in request.body {
            guard (collected?.readableBytes ?? 0) + part.readableBytes <= maxBytes else { throw NIOTooManyBytesError(maxBytes: maxBytes) }
            if collected == nil { collected = part } else { collected!.writeBuffer(&part) }
            if ContinuousClock.now > deadline { throw Exceeded() }
        }
        context.bodyRead.markRead()
        return collected ?? ByteBuffer()
    }
}
