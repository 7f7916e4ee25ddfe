import ArgumentParser
import AsyncHTTPClient
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// `countersign approve|deny ID --reason … --server URL --token T`: an approver's vote through
/// the approver API of a running server, with their personal API token.
struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve an approval request (as an approver, through the server's API).")
    @OptionGroup var vote: VoteOptions

    func run() async throws { try await vote.cast("approve") }
}

struct DenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny", abstract: "Deny an approval request (as an approver, through the server's API).")
    @OptionGroup var vote: VoteOptions

    func run() async throws { try await vote.cast("deny") }
}

struct VoteOptions: ParsableArguments {
    @Argument(help: "The request id (from `countersign request list` or the approver API).") var id: String
    @Option(help: "Why; required where the rule says so.") var reason: String?
    @Option(help: "The server's URL (COUNTERSIGN_SERVER, default http://127.0.0.1:8080).") var server: String?
    @Option(help: "Your personal API token from `countersign user token` (COUNTERSIGN_TOKEN).") var token: String?
    @Flag(help: "Print the request as JSON.") var json = false

    func validate() throws {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw ValidationError("the request id is 1-64 printable characters without '/'")
        }
    }

    func cast(_ verdict: String) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let token = token ?? environment["COUNTERSIGN_TOKEN"], !token.isEmpty else {
            throw ValidationError("give your personal API token with --token or COUNTERSIGN_TOKEN (from `countersign user token NAME`)")
        }
        var base = server ?? environment["COUNTERSIGN_SERVER"] ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        guard base.lowercased().hasPrefix("http://") || base.lowercased().hasPrefix("https://") else {
            throw ValidationError("--server must be an http(s) URL")
        }
        var request = HTTPClientRequest(url: "\(base)/api/v1/approval-requests/\(id)/\(verdict)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: CanonicalJSON.exactString(["reason": .optional(reason)])))
        let status: Int
        let answer: JSONValue
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            status = Int(response.status.code)
            let body = try await response.body.collect(upTo: 1 << 20)
            answer = (try? JSONParser().parse(Array(body.readableBytesView))) ?? .null
        } catch {
            throw CommandFailure("cannot reach \(base): \(error)")
        }
        guard status == 200, let object = answer.objectValue else {
            let why = answer.objectValue?["error_description"]?.stringValue ?? "the server answered \(status)"
            throw CommandFailure("\(verdict) refused (\(status)): \(why)")
        }
        if json {
            print(CanonicalJSON.exactString(answer))
        } else {
            print("\(verdict == "approve" ? "approved" : "denied") \(id); the request is now \(object["state"]?.stringValue ?? "?")")
        }
    }
}
