import ArgumentParser
import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore

/// `countersign request list|show|cancel`: the approval requests in the store, as an operator
/// sees them (every request, whoever may decide it).
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "List, show and cancel approval requests.",
        subcommands: [List.self, Show.self, Cancel.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approval requests, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "pending (default), approved, denied, expired, cancelled, redeemed or all.") var state = "pending"
        @Option(help: "At most this many (1-1000).") var limit = 100

        func validate() throws {
            guard state == "all" || ApprovalRequest.State(rawValue: state) != nil else {
                throw ValidationError("--state must be pending, approved, denied, expired, cancelled, redeemed or all")
            }
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
        }

        func run() async throws {
            let wanted = ApprovalRequest.State(rawValue: state)
            try await store.withStore { sqlite, _ in
                let now = SystemClock().now()
                // A pending request past its expiry is expired, written down yet or not.
                let requests = try await sqlite.approvalRequests(state: wanted == .expired ? nil : wanted, limit: limit) {
                    wanted == nil || $0.state(at: now) == wanted
                }
                if store.json {
                    for request in requests { printJSON(request.apiJSON(now: now)) }
                    return
                }
                guard !requests.isEmpty else {
                    print("no \(state == "all" ? "" : state + " ")approval requests")
                    return
                }
                for request in requests {
                    let actions = (request.authorizationDetails.arrayValue ?? []).compactMap { $0.objectValue?["type"]?.stringValue }
                    print(
                        "\(request.id)  \(request.state(at: now).rawValue)  \(actions.joined(separator: ","))  subject \(request.subject)  client \(request.clientID)  votes \(request.votes.count)  expires \(request.expiresAt.rfc3339)"
                    )
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one approval request with its votes.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The request id.") var id: String

        func run() async throws {
            try await store.withStore { sqlite, _ in
                guard let request = try await sqlite.approvalRequest(id: id) else {
                    throw CommandFailure("there is no approval request \(id)")
                }
                let now = SystemClock().now()
                if store.json {
                    printJSON(request.apiJSON(now: now))
                    return
                }
                // One member per line for people; nested values as compact JSON.
                for (name, value) in request.apiMembers(now: now) {
                    let text = value.stringValue ?? CanonicalJSON.exactString(value)
                    print("\(name): \(text)")
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a pending request: the client's next poll answers access_denied.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The request id.") var id: String

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let clock = SystemClock()
                let now = clock.now()
                // Nobody listens in this process and it delivers nothing: the notifications go to
                // the outbox unclaimed with the cancellation, and a running server delivers them
                // (and tells its live-event listeners) within about a second.
                let approvals = ApprovalService(store: sqlite, events: ApprovalEvents(), clock: clock)
                let cancelled: ApprovalRequest
                do {
                    cancelled = try await approvals.apply(id) { request in try request.cancel(by: "cli", now: now) }
                } catch let refusal as ApprovalRefusal {
                    throw CommandFailure(refusal.message)
                } catch StoreError.notFound {
                    throw CommandFailure("there is no approval request \(id)")
                }
                if store.json { printJSON(cancelled.apiJSON(now: now)) } else { print("\(id) cancelled") }
            }
        }
    }
}
