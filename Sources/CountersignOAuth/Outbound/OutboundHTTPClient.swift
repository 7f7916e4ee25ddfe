import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The one HTTP client for the requests this server makes of its own accord: issuer documents
/// (discovery, JWKS; `HTTPIssuerDocumentFetcher`) and callbacks (CIBA pings and pushes,
/// webhooks; `HTTPNotificationSender`). One async-http-client `HTTPClient`, made by whoever
/// assembles the server and shut down with it, bounded every way a remote party (or someone
/// posing as one) can misbehave:
/// - every URL passes `policy` for its purpose first (`OutboundURLPolicy`: a callback's name is
///   looked up then); a refused URL is never connected to;
/// - redirects are never followed: a 3xx is the answer (a JWKS cannot bounce us to
///   169.254.169.254, a webhook cannot turn into a request elsewhere);
/// - one deadline over the whole request, connection, head and, for a GET, every byte of the
///   body (a server that drips its body a byte at a time, resetting each read timeout, is cut
///   off with it): 3 s for issuer documents, 5 s for callbacks;
/// - a GET's body is read only for a 2xx answer and only up to `maxBodyBytes` (512 KiB); a
///   POST's body is never read (only the status counts, and a receiver dripping its body
///   would hold the delivery past any deadline).
public final class OutboundHTTPClient: Sendable {
    /// The largest GET body read: 512 KiB.
    public static let maxBodyBytes = 512 * 1024

    /// Why a request came to nothing.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The policy refused the URL; nothing was sent.
        case refused(OutboundURLPolicy.Refusal)
        /// No whole answer within the deadline.
        case timedOut(Duration)
        /// A GET's answer was not 2xx.
        case answered(status: Int)
        /// A GET's body is larger than the limit.
        case tooLarge(limit: Int)
        /// No answer: the connection, TLS or the exchange failed.
        case failed(String)

        /// The failure in words, for the log and the delivery record.
        public var description: String {
            switch self {
            case .refused(let refusal): "\(refusal)"
            case .timedOut(let limit): "no whole answer within \(limit)"
            case .answered(let status): "answered \(status)"
            case .tooLarge(let limit): "is larger than \(limit) bytes"
            case .failed(let why): why
            }
        }
    }

    /// A GET's 2xx answer.
    public struct Document: Sendable {
        /// The 2xx status.
        public let status: Int
        /// The answer's headers (`Cache-Control` sets how long keys are kept).
        public let headers: HTTPHeaders
        /// The body, at most `maxBodyBytes`.
        public let body: [UInt8]
    }

    /// What every URL is checked against before it is called.
    public let policy: OutboundURLPolicy
    let client: HTTPClient
    let issuerDocumentDeadline: Duration
    let callbackDeadline: Duration

    /// A client holding URLs to `policy`, with the deadline of each purpose; shut it down once.
    public init(policy: OutboundURLPolicy, issuerDocumentDeadline: Duration = .seconds(3), callbackDeadline: Duration = .seconds(5)) {
        let longest = TimeAmount(max(issuerDocumentDeadline, callbackDeadline))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: longest, read: longest))
        configuration.connectionPool.idleTimeout = .seconds(30)
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.policy = policy
        self.issuerDocumentDeadline = issuerDocumentDeadline
        self.callbackDeadline = callbackDeadline
    }

    /// Closes every connection; call once, when the server stops.
    public func shutdown() async {
        try? await client.shutdown()
    }

    /// The deadline of one request for `purpose`.
    public func deadline(for purpose: OutboundURLPolicy.Purpose) -> Duration {
        purpose == .callback ? callbackDeadline : issuerDocumentDeadline
    }

    /// GETs a document: a 2xx answer with its whole body, or why not.
    public func get(_ url: String, as purpose: OutboundURLPolicy.Purpose, accept: String) async -> Result<Document, Failure> {
        if let refusal = await policy.problem(with: url, for: purpose) { return .failure(.refused(refusal)) }
        var get = HTTPClientRequest(url: url)
        get.headers.add(name: "Accept", value: accept)
        get.headers.add(name: "User-Agent", value: "Countersign")
        let request = get
        let limit = deadline(for: purpose)
        // The client's own deadline covers only the response head; the body is read under the
        // per-read timeout alone. This one ends the whole request and cancels what is left of it.
        let outcome = await withDeadline(limit) { () async -> Result<Document, Failure> in
            do {
                let response = try await self.client.execute(request, deadline: .now() + TimeAmount(limit))
                let status = Int(response.status.code)
                guard (200..<300).contains(status) else { return .failure(.answered(status: status)) }
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.maxBodyBytes {
                    return .failure(.tooLarge(limit: Self.maxBodyBytes))
                }
                let body = try await response.body.collect(upTo: Self.maxBodyBytes)
                return .success(Document(status: status, headers: response.headers, body: Array(buffer: body)))
            } catch is NIOTooManyBytesError {
                return .failure(.tooLarge(limit: Self.maxBodyBytes))
            } catch {
                return .failure(.failed("\(error)"))
            }
        }
        return outcome ?? .failure(.timedOut(limit))
    }

    /// POSTs a JSON body with `headers`: the answer's status, whatever it is, or why there was
    /// none. The body of the answer is never read.
    public func post(
        _ url: String, as purpose: OutboundURLPolicy.Purpose, headers: [(String, String)], body: [UInt8]
    ) async -> Result<Int, Failure> {
        if let refusal = await policy.problem(with: url, for: purpose) { return .failure(.refused(refusal)) }
        var post = HTTPClientRequest(url: url)
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/json")
        post.headers.add(name: "User-Agent", value: "Countersign")
        for (name, value) in headers { post.headers.add(name: name, value: value) }
        post.body = .bytes(ByteBuffer(bytes: body))
        let request = post
        let limit = deadline(for: purpose)
        let outcome = await withDeadline(limit) { () async -> Result<Int, Failure> in
            do {
                // Dropping the response without reading it discards its body.
                let response = try await self.client.execute(request, deadline: .now() + TimeAmount(limit))
                return .success(Int(response.status.code))
            } catch {
                return .failure(.failed("\(error)"))
            }
        }
        return outcome ?? .failure(.timedOut(limit))
    }
}
