import AsyncHTTPClient
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches an issuer's documents (its JWKS, its OpenID discovery document) over HTTP.
public protocol IssuerDocumentFetching: Sendable {
    /// The body of a 200 answer, and its cache lifetime in seconds when it states one.
    func fetch(_ url: String) async throws(FetchFailure) -> (body: [UInt8], maxAge: Int?)
}

/// Why an issuer document could not be had; logged, never sent to the client.
public struct FetchFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The fetcher on async-http-client, bounded every way an IdP (or someone posing as one) can
/// misbehave: one deadline over the whole fetch, connection, head and
/// every byte of the body (an IdP that drips its body a byte at a time, resetting each read
/// timeout, is cut off with it), redirects never followed (a JWKS cannot bounce us to
/// 169.254.169.254), at most 512 KiB of body, http(s) only, status 200 only.
public final class HTTPIssuerDocumentFetcher: IssuerDocumentFetching {
    public static let maxBodyBytes = 512 * 1024
    let client: HTTPClient
    let deadline: TimeAmount

    public init(timeout: TimeAmount = .seconds(3)) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout))
        configuration.connectionPool.idleTimeout = .seconds(30)
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.deadline = timeout
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func fetch(_ url: String) async throws(FetchFailure) -> (body: [UInt8], maxAge: Int?) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
            parsed.host != nil
        else { throw FetchFailure("\(url) is not an http(s) URL") }
        // The client's own deadline covers only the response head; the body is read under the
        // per-read timeout alone. This one ends the whole fetch and cancels what is left of it.
        let limit = Duration.nanoseconds(deadline.nanoseconds)
        guard let outcome = await withDeadline(limit, { await self.download(url) }) else {
            throw FetchFailure("\(url) did not answer in full within \(limit)")
        }
        return try outcome.get()
    }

    func download(_ url: String) async -> Result<(body: [UInt8], maxAge: Int?), FetchFailure> {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json, application/jwk-set+json")
        do {
            let response = try await client.execute(request, deadline: .now() + deadline)
            guard response.status == .ok else {
                return .failure(FetchFailure("\(url) answered \(response.status.code)"))
            }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.maxBodyBytes {
                return .failure(FetchFailure("\(url) is larger than \(Self.maxBodyBytes) bytes"))
            }
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return .success((Array(buffer: body), Self.maxAge(response.headers["Cache-Control"])))
        } catch is NIOTooManyBytesError {
            return .failure(FetchFailure("\(url) is larger than \(Self.maxBodyBytes) bytes"))
        } catch {
            return .failure(FetchFailure("fetching \(url) failed: \(error)"))
        }
    }

    /// `max-age` of `Cache-Control` (RFC 9111 §5.2.2.1); `no-store`/`no-cache` count as 0.
    static func maxAge(_ values: [String]) -> Int? {
        var result: Int?
        for directive in values.flatMap({ $0.split(separator: ",") }) {
            let part = directive.trimmingCharacters(in: .whitespaces).lowercased()
            if part == "no-store" || part == "no-cache" { return 0 }
            if part.hasPrefix("max-age="), let seconds = Int(part.dropFirst(8)) { result = seconds }
        }
        return result
    }
}
