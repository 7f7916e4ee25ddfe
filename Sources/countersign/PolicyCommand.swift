import ArgumentParser
import CountersignCore
import CountersignServer
import Foundation

/// `countersign policy check|test|explain FILE`.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check, test and explain policy files (docs/POLICY.md).",
        subcommands: [Check.self, Test.self, Explain.self])

    /// Loads a policy or fails with every error as FILE:LINE:COL: message (as JSON with --json).
    static func load(_ file: String, json: Bool) throws -> PolicyFile {
        do {
            return try PolicyFile.load(path: file)
        } catch let error as PolicyFileError {
            if json {
                let errors: [JSONValue] =
                    error.errors.isEmpty
                    ? [.object(["message": .string(error.description)])]
                    : error.errors.map {
                        .object([
                            "line": .number(JSONNumber($0.location.line)), "column": .number(JSONNumber($0.location.column)),
                            "message": .string($0.message),
                        ])
                    }
                printJSON(["file": .string(file), "ok": false, "errors": .array(errors)])
                throw ExitCode.failure
            }
            // One FILE:LINE:COL: message per line on stderr, as compilers print them, so
            // editors and CI logs link to each.
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check syntax, references and types; errors as FILE:LINE:COL: message.")
        @Argument(help: "The policy file.") var file: String
        @Flag(help: "Print the result as JSON.") var json = false

        func run() async throws {
            let loaded = try PolicyCommand.load(file, json: json)
            let p = loaded.policy
            if json {
                printJSON([
                    "file": .string(file), "ok": true, "sha256": .string(loaded.sha256),
                    "actions": .array(p.actions.map { .string($0.name) }), "rules": .number(JSONNumber(p.rules.count)),
                    "tests": .number(JSONNumber(p.tests.count)),
                ])
            } else {
                print("\(file): ok — \(p.actions.count) actions, \(p.rules.count) rules, \(p.tests.count) tests (sha256 \(loaded.sha256))")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the file's tests; each failure shows its explanation; exit 1 on any failure.")
        @Argument(help: "The policy file.") var file: String
        @Flag(help: "Print the results as JSON.") var json = false

        func run() async throws {
            let loaded = try PolicyCommand.load(file, json: json)
            let results = PolicyTestRunner(policy: loaded.policy).run()
            let failed = results.filter { !$0.passed }.count
            if json {
                printJSON([
                    "file": .string(file), "passed": .number(JSONNumber(results.count - failed)),
                    "failed": .number(JSONNumber(failed)),
                    "tests": .array(
                        results.map { r in
                            var o: [String: JSONValue] = [
                                "name": .string(r.test.name), "line": .number(JSONNumber(r.test.location.line)),
                                "passed": .bool(r.passed),
                            ]
                            if !r.passed {
                                o["failures"] = .array(r.failures.map(JSONValue.string))
                                if let e = r.explanation { o["explanation"] = e.json }
                            }
                            return .object(o)
                        }),
                ])
            } else {
                for r in results {
                    if r.passed {
                        print("PASS \(r.test.name)")
                    } else {
                        print("FAIL \(r.test.name) (\(file):\(r.test.location.line))")
                        for f in r.failures { print("     \(f)") }
                        if let e = r.explanation {
                            for line in e.text.split(separator: "\n") { print("     \(line)") }
                        }
                    }
                }
                if results.isEmpty { print("\(file): no tests (add a tests: list)") }
                print("\(results.count - failed) passed, \(failed) failed")
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide one request and show the rules that made the decision.",
            discussion: """
                The request is JSON: {"subject": {"sub": "u1", "roles": ["finance"]}, "client": "app", \
                "action": "refund", "resource": "https://…", "context": {"amount": 250}, "ip": "10.1.2.3", \
                "time": "2026-11-25T10:00:00Z"}. Without time, now. @FILE reads it from a file.
                """)
        @Argument(help: "The policy file.") var file: String
        @Option(help: "The request as JSON, or @FILE.") var request: String
        @Flag(help: "Print the explanation as JSON.") var json = false

        func run() async throws {
            let loaded = try PolicyCommand.load(file, json: json)
            let policy = loaded.policy
            let decisionRequest: DecisionRequest
            let decision: Decision
            do {
                decisionRequest = try readRequest(policy)
                do {
                    decision = try PolicyEvaluator(policy: policy).decide(decisionRequest)
                } catch {
                    throw Refusal(kind: "undecidable", message: "the request cannot be decided: \(error)")
                }
            } catch let refusal as Refusal {
                guard json else { throw CommandFailure(refusal.text) }
                printJSON([
                    "file": .string(file), "ok": false,
                    "error": .object(["kind": .string(refusal.kind), "message": .string(refusal.message)]),
                ])
                throw ExitCode.failure
            }
            let explanation = Explanation(decision: decision, request: decisionRequest, policy: policy)
            if json { printJSON(explanation.json) } else { print(explanation.text) }
        }

        /// Why a request was not decided: `kind` names the stage for scripts (`--json`).
        struct Refusal: Error {
            let kind: String
            let message: String
            var text: String { kind == "invalid_authorization_details" ? "\(kind): \(message)" : message }
        }

        /// The request read, parsed and checked against its action, or why not.
        func readRequest(_ policy: Policy) throws(Refusal) -> DecisionRequest {
            var text = request
            if text.hasPrefix("@") {
                let path = String(text.dropFirst())
                guard let data = try? LimitedFile.read(path, maxBytes: 1 << 20), let s = String(validating: data, as: UTF8.self)
                else { throw Refusal(kind: "invalid_request", message: "cannot read the request from \(path) (at most 1 MiB of UTF-8)") }
                text = s
            }
            let decisionRequest: DecisionRequest
            do {
                let document = try PolicyValue(json: JSONParser().parse(text))
                decisionRequest = try DecisionRequest(document: document, defaultTime: SystemClock().now().secondsSince1970)
            } catch let error as JSONParser.Failure {
                throw Refusal(kind: "invalid_request", message: "the request is not valid JSON: \(error)")
            } catch {
                throw Refusal(kind: "invalid_request", message: "the request is not valid: \(error)")
            }
            guard let action = policy.action(named: decisionRequest.action) else {
                throw Refusal(
                    kind: "unknown_action",
                    message:
                        "\(decisionRequest.action) is not an action of \(file); its actions: \(policy.actions.map(\.name).joined(separator: ", "))"
                )
            }
            do {
                return try action.checked(decisionRequest)
            } catch {
                throw Refusal(kind: "invalid_authorization_details", message: error.message)
            }
        }
    }
}
