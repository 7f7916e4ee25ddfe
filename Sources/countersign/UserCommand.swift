import ArgumentParser
import CountersignCore
import CountersignStore
import Foundation

/// `countersign user create|list|token|disable|enable`: the people who approve requests, and
/// their personal API tokens for the approver API.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage approvers and their personal API tokens.",
        subcommands: [Create.self, List.self, Token.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (an approver).",
            discussion: """
                --group puts the user in a policy group derived from the `groups` claim; --role sets
                `roles`; --claim k=v any other claim (an `email` is also a name the user goes by);
                --alias ISSUER#SUB another identity of the same person, so they are recognised as the
                requester of their own requests.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user name.") var name: String
        @Option(name: .customLong("group"), help: "A group (repeatable).") var groups: [String] = []
        @Option(name: .customLong("role"), help: "A role (repeatable).") var roles: [String] = []
        @Option(name: .customLong("claim"), help: "k=v (repeatable).") var claims: [String] = []
        @Option(name: .customLong("alias"), help: "Another name of the same person, e.g. ISSUER#SUB (repeatable).")
        var aliases: [String] = []

        func validate() throws {
            if let problem = User.problem(name: name) { throw ValidationError(problem) }
            for value in groups + roles + aliases
            where value.isEmpty || value.utf8.count > 256
                || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            {
                throw ValidationError("groups, roles and aliases are 1-256 characters without control characters")
            }
            for claim in claims {
                let parts = claim.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, !["groups", "roles"].contains(String(parts[0])) else {
                    throw ValidationError("--claim \(claim) must be k=v (use --group and --role for groups and roles)")
                }
            }
        }

        func run() async throws {
            var claimValues: [String: String] = [:]
            for claim in claims {
                let parts = claim.split(separator: "=", maxSplits: 1).map(String.init)
                claimValues[parts[0]] = parts[1]
            }
            try await store.withStore { sqlite, _ in
                let user = User(
                    name: name, groups: groups, roles: roles, claims: claimValues, aliases: aliases,
                    createdAt: SystemClock().now())
                do {
                    try await sqlite.create(user, audit: AuditRecord(type: "user.created", actor: "cli", data: user.auditData))
                } catch let error as StoreError {
                    throw CommandFailure("\(error)")
                }
                if store.json { printJSON(.object(user.auditData)) } else { print("created user \(name)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withStore { sqlite, _ in
                let users = try await sqlite.users()
                if store.json { return printJSON(.array(users.map { .object($0.auditData) })) }
                if users.isEmpty { print("no users") }
                for u in users {
                    print("\(u.name)  groups: \(u.groups.joined(separator: ",")) roles: \(u.roles.joined(separator: ","))")
                }
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a personal API token for the approver API; printed once, stored only as a hash. It replaces the user's earlier token, which stops working at once (their open event streams close)."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user name.") var name: String

        func run() async throws {
            try await store.withStore { sqlite, serverKey in
                let token = PersonalToken.generate()
                do {
                    try await sqlite.replaceToken(
                        hash: PersonalToken.hash(token, serverKey: serverKey), for: name, createdAt: SystemClock().now(),
                        audit: AuditRecord(type: "user.token_created", actor: "cli", data: ["name": .string(name)]))
                } catch let error as StoreError {
                    throw CommandFailure("\(error)")
                }
                if store.json { printJSON(["name": .string(name), "token": .string(token)]) } else { print(token) }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: their personal tokens stop working and their votes are refused.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user name.") var name: String

        func run() async throws { try await UserCommand.setDisabled(true, name: name, store: store) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user name.") var name: String

        func run() async throws { try await UserCommand.setDisabled(false, name: name, store: store) }
    }

    static func setDisabled(_ disabled: Bool, name: String, store: StoreOptions) async throws {
        try await store.withStore { sqlite, _ in
            do {
                try await sqlite.setDisabled(
                    disabled, name: name,
                    audit: AuditRecord(
                        type: disabled ? "user.disabled" : "user.enabled", actor: "cli", data: ["name": .string(name)]))
            } catch let error as StoreError {
                throw CommandFailure("\(error)")
            }
            if store.json {
                printJSON(["name": .string(name), "disabled": .bool(disabled)])
            } else {
                print("\(name) \(disabled ? "disabled" : "enabled")")
            }
        }
    }
}
