import ArgumentParser
import CountersignCore
import CountersignStore
import Foundation

extension ClientCommand {
    /// `countersign client rotate-secret ID [--secret S] [--grace SECONDS]`: a new secret for a
    /// confidential client, the old one accepted for the grace period so deployments can roll
    /// over, then refused. Only keyed hashes are stored; the new secret is
    /// printed once when it was generated.
    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give a confidential client a new secret; the old one works for --grace seconds, then never again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Client id.") var id: String
        @Option(help: "The new secret (at least 32 characters); omit to generate one.") var secret: String?
        @Option(help: "Seconds the previous secret stays valid (0 to \(OAuthClient.maxSecretGrace)); 0 ends it at once.")
        var grace: Int64 = 0

        func validate() throws {
            if let secret, let problem = ClientSecret.problem(with: secret) { throw ValidationError(problem) }
            guard (0...OAuthClient.maxSecretGrace).contains(grace) else {
                throw ValidationError("--grace must be between 0 and \(OAuthClient.maxSecretGrace) seconds (a week)")
            }
        }

        func run() async throws {
            let generated = secret == nil ? ClientSecret.generate() : nil
            guard let plain = secret ?? generated else { return }
            try await store.withStore { sqlite, serverKey in
                let now = SystemClock().now()
                let validUntil = grace > 0 ? now + .seconds(grace) : nil
                let rotated = try await sqlite.rotateSecret(
                    id: id, hash: ClientSecret.hash(plain, serverKey: serverKey), previousValidUntil: validUntil,
                    audit: AuditRecord(
                        type: "client.secret_rotated", actor: "cli",
                        data: [
                            "client_id": .string(id),
                            "previous_valid_until": validUntil.map { .number(JSONNumber($0.millisecondsSince1970)) } ?? .null,
                        ]))
                guard rotated else { throw CommandFailure("no confidential client with id \"\(id)\"") }
                let until = validUntil.map(\.rfc3339)
                if store.json {
                    var out: [String: JSONValue] = ["client_id": .string(id), "previous_valid_until": until.map(JSONValue.string) ?? .null]
                    if let generated { out["client_secret"] = .string(generated) }
                    printJSON(.object(out))
                    return
                }
                print("rotated the secret of client \(id)")
                if let generated {
                    print("client_secret: \(generated)")
                    print("(shown once; only a keyed hash is stored)")
                }
                print(until.map { "the previous secret works until \($0)" } ?? "the previous secret no longer works")
            }
        }
    }
}
