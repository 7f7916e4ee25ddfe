import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches an issuer's documents (its JWKS, its OpenID discovery document) over HTTP.
public protocol IssuerDocumentFetching: Sendable {
    /// The body of a 200 answer from `url`, called as `purpose` (`OutboundURLPolicy`), and its
    /// cache lifetime in seconds when it states one.
    func fetch(_ url: String, as purpose: OutboundURLPolicy.Purpose) async throws(FetchFailure) -> (body: [UInt8], maxAge: Int?)
}

/// Why an issuer document could not be had; logged, never sent to the client.
public struct FetchFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for the log.
    public let description: String
    /// A failure saying `description`.
    public init(_ description: String) { self.description = description }
}

/// The fetcher on the server's `OutboundHTTPClient`, which bounds every way an IdP (or someone
/// posing as one) can misbehave: the URL checked for its purpose, one deadline over the whole
/// fetch, redirects never followed, at most 512 KiB of body. Status 200 only.
public struct HTTPIssuerDocumentFetcher: IssuerDocumentFetching {
    /// The largest document accepted: 512 KiB (`OutboundHTTPClient.maxBodyBytes`).
    public static var maxBodyBytes: Int { OutboundHTTPClient.maxBodyBytes }
    let client: OutboundHTTPClient

    /// A fetcher on the server's one outbound client.
    public init(client: OutboundHTTPClient) {
        self.client = client
    }

    /// GETs `url`, checked for `purpose`: the body and its `Cache-Control` `max-age`.
    public func fetch(_ url: String, as purpose: OutboundURLPolicy.Purpose) async throws(FetchFailure) -> (body: [UInt8], maxAge: Int?) {
        switch await client.get(url, as: purpose, accept: "application/json, application/jwk-set+json") {
        case .success(let document):
            guard document.status == 200 else { throw FetchFailure("\(url) answered \(document.status)") }
            return (document.body, Self.maxAge(document.headers["Cache-Control"]))
        case .failure(.failed(let why)):
            throw FetchFailure("fetching \(url) failed: \(why)")
        case .failure(.timedOut(let limit)):
            throw FetchFailure("\(url) did not answer in full within \(limit)")
        case .failure(let failure):
            throw FetchFailure("\(url) \(failure)")
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
