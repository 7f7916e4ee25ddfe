import ArgumentParser
import CountersignCore
import CountersignOAuth
import CountersignStore

/// `countersign keys list|rotate`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "List or rotate token-signing keys.", subcommands: [List.self, Rotate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (never their private halves).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let keys = try await sqlite.signingKeys()
                let now = SystemClock().now()
                func state(_ k: StoredSigningKey) -> String {
                    if k.activatesAt > now { return "next" }
                    if k.retiredAt.map({ $0 > now }) ?? true { return "active" }
                    return (k.publishedUntil ?? .epoch) > now ? "retired-published" : "retired"
                }
                if store.json {
                    printJSON(
                        .array(
                            keys.map { k in
                                [
                                    "kid": .string(k.kid), "alg": .string(k.algorithm), "state": .string(state(k)),
                                    "created_at": .string(k.createdAt.rfc3339),
                                    "activates_at": .string(k.activatesAt.rfc3339),
                                    "retired_at": k.retiredAt.map { .string($0.rfc3339) } ?? .null,
                                    "published_until": k.publishedUntil.map { .string($0.rfc3339) } ?? .null,
                                ]
                            }))
                    return
                }
                if keys.isEmpty { print("no keys yet (the server creates one on first start)") }
                for k in keys {
                    var line = "\(k.kid)  \(k.algorithm)  \(state(k))  created \(k.createdAt.rfc3339)"
                    if k.activatesAt > now { line += "  signs from \(k.activatesAt.rfc3339)" }
                    if let until = k.publishedUntil, k.retiredAt != nil { line += "  published until \(until.rfc3339)" }
                    print(line)
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a new key that signs after 60 s (--activate-in); the old one stays published until its tokens have expired.")
        @OptionGroup var store: StoreOptions
        @Flag(
            help:
                "For a compromised key: sign with the new key at once and remove the old keys from the JWKS at once, ending every token they signed."
        )
        var now = false
        @Option(
            name: .customLong("activate-in"),
            help:
                "Seconds the new key is published before it signs (default 60, the JWKS cache lifetime); old keys stay published until their tokens expire."
        )
        var activateIn: Int = 60

        func validate() throws {
            guard (0...86_400).contains(activateIn) else { throw ValidationError("--activate-in must be 0 to 86400 seconds") }
        }

        func run() async throws {
            try await store.withStore { sqlite, serverKey in
                let key = try await KeyRotation.rotate(
                    store: sqlite, serverKey: serverKey, now: SystemClock().now(), actor: "cli", immediately: now,
                    prepublication: .seconds(activateIn))
                if store.json {
                    printJSON([
                        "kid": .string(key.kid), "alg": .string(key.algorithm),
                        "activates_at": .string(key.activatesAt.rfc3339),
                    ])
                } else {
                    print("new key \(key.kid) (\(key.algorithm)) published now, signing from \(key.activatesAt.rfc3339)")
                }
            }
        }
    }
}
