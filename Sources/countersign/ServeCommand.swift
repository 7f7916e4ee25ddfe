import ArgumentParser
import CountersignServer
import Foundation
import Logging

/// `countersign serve`: runs the server on the configured address until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the authorization server.")

    @Option(help: "Optional YAML config file; flags beat COUNTERSIGN_* variables beat the file.")
    var config: String?

    // One flag per setting; its name and help are the settings table's (`ServerSetting`).
    @Option(name: ServerSetting.dataDirectory.argumentName, help: ServerSetting.dataDirectory.argumentHelp)
    var dataDirectory: String?
    @Option(name: ServerSetting.host.argumentName, help: ServerSetting.host.argumentHelp)
    var host: String?
    @Option(name: ServerSetting.port.argumentName, help: ServerSetting.port.argumentHelp)
    var port: String?
    @Option(name: ServerSetting.issuer.argumentName, help: ServerSetting.issuer.argumentHelp)
    var issuer: String?
    @Option(name: ServerSetting.policy.argumentName, help: ServerSetting.policy.argumentHelp)
    var policy: String?
    @Option(name: ServerSetting.databaseURL.argumentName, help: ServerSetting.databaseURL.argumentHelp)
    var databaseURL: String?
    @Option(name: ServerSetting.logLevel.argumentName, help: ServerSetting.logLevel.argumentHelp)
    var logLevel: String?
    @Option(name: ServerSetting.jwksRefreshCooldown.argumentName, help: ServerSetting.jwksRefreshCooldown.argumentHelp)
    var jwksRefreshCooldown: String?
    @Flag(name: ServerSetting.allowPrivateCallbacks.argumentName, help: ServerSetting.allowPrivateCallbacks.argumentHelp)
    var allowPrivateCallbacks = false
    @Option(name: ServerSetting.bodyTimeout.argumentName, help: ServerSetting.bodyTimeout.argumentHelp)
    var bodyTimeout: String?
    @Option(name: ServerSetting.sseHeartbeat.argumentName, help: ServerSetting.sseHeartbeat.argumentHelp)
    var sseHeartbeat: String?

    /// What the flags say of `setting`. Exhaustive, so a setting added to the table does not
    /// build until it has its flag here.
    func flag(_ setting: ServerSetting) -> String? {
        switch setting {
        case .dataDirectory: dataDirectory
        case .host: host
        case .port: port
        case .issuer: issuer
        case .policy: policy
        case .databaseURL: databaseURL
        case .logLevel: logLevel
        case .jwksRefreshCooldown: jwksRefreshCooldown
        case .allowPrivateCallbacks: allowPrivateCallbacks ? "true" : nil
        case .bodyTimeout: bodyTimeout
        case .sseHeartbeat: sseHeartbeat
        }
    }

    func run() async throws {
        let flags = ServerConfiguration.Layer(Dictionary(uniqueKeysWithValues: ServerSetting.allCases.map { ($0, flag($0)) }))
        let environment = ServerConfiguration.Layer.environment()
        let configPath = config ?? ProcessInfo.processInfo.environment["COUNTERSIGN_CONFIG"]
        let file = try configPath.map(ServerConfiguration.Layer.file) ?? ServerConfiguration.Layer()
        let configuration = try ServerConfiguration.resolve([flags, environment, file])
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StandardErrorLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "countersign")
        logger.logLevel = level
        try await CountersignServerApp.run(configuration: configuration, logger: logger) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
