import ArgumentParser
import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Logging

/// The options every admin command shares with `serve`: which store to open, and output format.
struct StoreOptions: ParsableArguments {
    // Two rows of the settings table (`ServerSetting`); the config file is `serve`'s alone.
    @Option(name: ServerSetting.dataDirectory.argumentName, help: ServerSetting.dataDirectory.argumentHelp)
    var dataDirectory: String?

    @Option(name: ServerSetting.databaseURL.argumentName, help: ServerSetting.databaseURL.argumentHelp)
    var databaseURL: String?

    @Flag(help: "Print JSON.")
    var json = false

    var resolvedDataDirectory: String {
        dataDirectory ?? ServerConfiguration.Layer.environment()[.dataDirectory] ?? ServerConfiguration().dataDirectory
    }

    /// Opens the data directory and its store, creating both when new, and runs `body` with them.
    func withStore<T>(_ body: (SQLiteStore, ServerKey) async throws -> T) async throws -> T {
        if databaseURL ?? ServerConfiguration.Layer.environment()[.databaseURL] != nil {
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
