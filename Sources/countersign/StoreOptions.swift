import ArgumentParser
import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Logging

/// The options every admin command shares with `serve`: which store to open, and output format.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (COUNTERSIGN_DATA_DIR, default ./countersign-data).")
    var dataDirectory: String?

    @Option(name: .customLong("database-url"), help: "postgres:// URL (COUNTERSIGN_DATABASE_URL); unset: SQLite in the data directory.")
    var databaseURL: String?

    @Flag(help: "Print JSON.")
    var json = false

    var resolvedDataDirectory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["COUNTERSIGN_DATA_DIR"] ?? "./countersign-data"
    }

    /// Opens the data directory and its store, creating both when new, and runs `body` with them.
    func withStore<T>(_ body: (SQLiteStore, ServerKey) async throws -> T) async throws -> T {
        if databaseURL ?? ProcessInfo.processInfo.environment["COUNTERSIGN_DATABASE_URL"] != nil {
            throw ValidationError("PostgreSQL (--database-url) is not available in this version yet")
        }
        let directory = DataDirectory(path: resolvedDataDirectory)
        try directory.prepare()
        let serverKey = try directory.serverKey()
        var logger = Logger(label: "countersign")
        logger.logLevel = .warning
        let store = try await SQLiteStore.open(path: directory.databasePath, logger: logger)
        do {
            let result = try await body(store, serverKey)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Prints a JSON value as one line.
func printJSON(_ value: JSONValue) {
    print(CanonicalJSON.exactString(value))
}

/// An admin command failed in a way the operator can fix; printed without a stack of detail.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
