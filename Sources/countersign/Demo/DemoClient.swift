import AsyncHTTPClient
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// The demo's OAuth client: real HTTP to the running server, form bodies, HTTP Basic.
struct DemoClient: Sendable {
    let baseURL: String

    struct Answer: Sendable {
        let status: Int
        let json: JSONValue
        /// A member of the JSON object answer, or nil.
        subscript(_ name: String) -> JSONValue? { json.objectValue?[name] }
        var error: String { self["error"]?.stringValue ?? "" }
        var errorDescription: String { self["error_description"]?.stringValue ?? "" }
    }

    /// POSTs a form to `path` authenticated as `client` (HTTP Basic) and reads the JSON answer.
    func post(_ path: String, client: (id: String, secret: String), form: [(String, String)]) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let credentials = Data("\(Self.formEncode(client.id)):\(Self.formEncode(client.secret))".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        let body = form.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    /// GETs `path` with a bearer token (the approver API).
    func get(_ path: String, bearer: String) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        return try await send(request)
    }

    /// POSTs a JSON body with a bearer token (the approver API).
    func postJSON(_ path: String, bearer: String, body: JSONValue) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: CanonicalJSON.exactString(body)))
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONParser().parse(Array(bytes.readableBytesView))) ?? .null
        return Answer(status: Int(response.status.code), json: json)
    }

    /// `application/x-www-form-urlencoded` (RFC 6749 Appendix B): all but the unreserved
    /// characters percent-encoded.
    static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The claims of a JWT, for printing (the signature was checked by the server).
    static func claims(of token: String) -> [String: JSONValue] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(Array(parts[1].utf8)),
            let json = try? JSONParser().parse(bytes)
        else { return [:] }
        return json.objectValue ?? [:]
    }
}
