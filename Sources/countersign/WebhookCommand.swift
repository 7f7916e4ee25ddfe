import ArgumentParser
import CountersignCore
import CountersignOAuth
import CountersignStore

/// `countersign webhook add|list|delete|deliveries`: where approval requests are announced
/// besides the inbox (a group's chat channel, a ticketing system), and what became of each
/// delivery.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Announce approval requests to a group's webhook.",
        subcommands: [Add.self, List.self, Delete.self, Deliveries.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a webhook; its signing secret is printed once.",
            discussion: """
                Each POST carries Countersign-Signature: t=SECONDS,v1=HEX, the HMAC-SHA-256 under the secret of \
                "SECONDS.BODY". Check it, and refuse timestamps older than five minutes.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "The approver group whose requests are sent (a group of the policy), or * for all.") var group: String
        @Option(help: "Where to POST (https; http and private addresses only with serve --allow-private-callbacks).")
        var url: String
        @Option(help: "json (Countersign's event) or slack (a Slack-compatible {\"text\": …} message).") var format = "json"

        func validate() throws {
            guard group == "*" || (1...64).contains(group.utf8.count) && group.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            else { throw ValidationError("--group is a group name of the policy (1-64 printable characters) or *") }
            if let problem = ClientRegistration.problem(uri: url) { throw ValidationError(problem) }
            // The server calls it (`OutboundURLPolicy`, `.callback`); the rest of the rules, which
            // depend on serve's --allow-private-callbacks, are checked at each delivery.
            if let refusal = OutboundURLPolicy.textProblem(url, for: .callback) { throw ValidationError("--url \(refusal)") }
            guard Webhook.Format(rawValue: format) != nil else { throw ValidationError("--format must be json or slack") }
        }

        func run() async throws {
            try await store.withStore { sqlite, serverKey in
                let secret = Webhook.generateSecret()
                var webhook = Webhook(
                    id: "wh_" + String(Webhook.generateSecret().dropFirst(6).prefix(16)), group: group, url: url,
                    format: Webhook.Format(rawValue: format) ?? .json, sealedSecret: [], createdAt: SystemClock().now())
                webhook.sealedSecret = SealedSecret.seal(secret, purpose: webhook.secretPurpose, serverKey: serverKey)
                try await sqlite.create(webhook, audit: AuditRecord(type: "webhook.created", actor: "cli", data: webhook.auditData))
                if store.json {
                    printJSON(.object(webhook.auditData.merging(["secret": .string(secret)]) { a, _ in a }))
                } else {
                    print("webhook \(webhook.id) for group \(group) -> \(url)")
                    print("signing secret (shown once): \(secret)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhooks (never their secrets).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let hooks = try await sqlite.webhooks()
                if store.json {
                    for hook in hooks { printJSON(.object(hook.auditData)) }
                } else if hooks.isEmpty {
                    print("no webhooks")
                } else {
                    for hook in hooks { print("\(hook.id)  group \(hook.group)  \(hook.format.rawValue)  \(hook.url)") }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a webhook.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The webhook id.") var id: String

        func run() async throws {
            try await store.withStore { sqlite, _ in
                do {
                    try await sqlite.deleteWebhook(
                        id: id, audit: AuditRecord(type: "webhook.deleted", actor: "cli", data: ["id": .string(id)]))
                } catch let error as StoreError {
                    throw CommandFailure("\(error)")
                }
                print("deleted webhook \(id)")
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The delivery log, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "At most this many (1-10000).") var limit = 50

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
        }

        func run() async throws {
            try await store.withStore { sqlite, _ in
                for d in try await sqlite.deliveries(limit: limit) {
                    if store.json {
                        printJSON([
                            "webhook": .string(d.webhookID), "event": .string(d.event), "request_id": .string(d.requestID),
                            "attempt": .number(JSONNumber(d.attempt)), "status": d.status.map { .number(JSONNumber($0)) } ?? .null,
                            "error": .optional(d.error), "at": .string(d.at.rfc3339),
                        ])
                    } else {
                        let outcome = d.status.map { "HTTP \($0)" } ?? "no answer"
                        print(
                            "\(d.at.rfc3339)  \(d.webhookID)  \(d.event)  \(d.requestID)  attempt \(d.attempt)  \(outcome)\(d.error.map { "  \($0)" } ?? "")"
                        )
                    }
                }
            }
        }
    }
}
