import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The whole server assembled on a fresh data directory (the bundled example policy) and served
/// over real loopback HTTP through its own pipeline, for tests that need a socket.
enum LiveServer {
    /// Runs `body` with the assembly, the data directory's server key and the bound port, then
    /// closes everything, whether `body` succeeded or threw.
    static func with(
        bodyDeadline: Duration = .seconds(10),
        _ body: @Sendable (CountersignServerApp.Assembly, ServerKey, Int) async throws -> Void
    ) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = ServerConfiguration()
        config.dataDirectory = dir
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let assembly = try await CountersignServerApp.assemble(configuration: config, logger: logger)
        let serverKey = try DataDirectory(path: dir).serverKey()
        let app = Application(
            router: assembly.router(), server: CountersignServerApp.httpServer(metrics: nil, bodyDeadline: bodyDeadline),
            logger: logger)
        do {
            try await app.test(.live) { client in try await body(assembly, serverKey, try #require(client.port)) }
        } catch {
            await assembly.close()
            throw error
        }
        await assembly.close()
    }
}
