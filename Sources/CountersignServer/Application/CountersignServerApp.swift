import CountersignApprovals
import CountersignCore
import CountersignOAuth
import CountersignStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `countersign serve`: opens the data directory and store, loads keys and policy, and serves
/// HTTP until SIGTERM or SIGINT, finishing in-flight requests and pending writes first.
public enum CountersignServerApp {
    /// Everything a running server is made of, before it listens.
    public struct Assembly: Sendable {
        /// The settings the server was assembled with.
        public let configuration: ServerConfiguration
        /// The issuer identifier (RFC 8414 §2): `--issuer`, or the listening URL.
        public let issuer: String
        /// The port it listens on, `--port 0` already resolved to a free one.
        public let port: Int
        /// The OAuth endpoints, their caches and stores.
        public let authorizationServer: AuthorizationServer
        /// Approval requests, the approver API and their notifications.
        public let approvals: Approvals
        /// The store, which `close()` closes.
        public let store: SQLiteStore
        /// The policy in force, which SIGHUP reloads.
        public let policy: PolicyHolder
        /// The one client of the server's own requests (trusted issuers' documents, CIBA pings
        /// and pushes, webhooks) and the policy it holds them to; shut down with the server.
        public let outbound: OutboundHTTPClient
        /// Whether the data directory was new: `serve` then prints its first-run hint.
        public let isNewDataDirectory: Bool
        /// What `GET /metrics` shows.
        public let metrics: ServerMetrics

        /// Releases the store and the HTTP client. Runs in a task of its own, so a cancelled
        /// caller (the server task of `countersign demo`, a test) still closes every connection.
        public func close() async {
            let outbound = outbound
            let store = store
            await Task {
                await outbound.shutdown()
                await store.close()
            }.value
        }

        /// The routes of the whole HTTP surface.
        public func router() -> Router<CountersignRequestContext> {
            let router = Router(context: CountersignRequestContext.self)
            router.add(middleware: RequestMetrics(metrics: metrics))
            router.add(middleware: UnreadBodyGuard())
            OAuthRoutes.add(to: router, server: authorizationServer, metrics: metrics)
            ApproverRoutes.add(
                to: router, api: approvals.api, events: approvals.events, heartbeat: .seconds(configuration.sseHeartbeat))
            HealthRoutes.add(to: router, store: store, policy: policy)
            MetricsRoutes.add(to: router, metrics: metrics)
            return router
        }
    }

    /// Prepares the data directory, policy, store, keys and caches. `port` 0 is resolved to a
    /// free port first, because the issuer must name the real one. Every part tells the time
    /// from `clock`.
    public static func assemble(
        configuration: ServerConfiguration, logger: Logger, clock: any WallClock = SystemClock()
    ) async throws -> Assembly {
        let dataDirectory = DataDirectory(path: configuration.dataDirectory)
        let isNew = try dataDirectory.prepare()
        let serverKey = try dataDirectory.serverKey()
        if configuration.databaseURL != nil {
            throw ConfigurationError(
                "PostgreSQL (--database-url) is not available in this version yet; omit it to use SQLite in the data directory")
        }
        let policyPath = configuration.effectivePolicyPath
        if configuration.policyPath == nil, try PolicyFile.installExampleIfMissing(at: policyPath) {
            logger.notice("wrote the bundled example policy", metadata: ["path": "\(policyPath)"])
        }
        let policyFile = try PolicyFile.load(path: policyPath)  // refuse to start on a broken policy, before touching the store

        let port = configuration.port == 0 ? try await freePort(host: configuration.host) : configuration.port
        let issuer = configuration.effectiveIssuer(boundPort: port)
        let store = try await SQLiteStore.open(path: dataDirectory.databasePath, logger: logger, clock: clock)
        let outbound = OutboundHTTPClient(policy: OutboundURLPolicy(allowPrivateCallbacks: configuration.allowPrivateCallbacks))
        do {
            let policy = PolicyHolder(path: policyPath, audit: store)
            try await policy.install(policyFile, actor: "server")
            let service = Approvals.service(store: store, clock: clock)
            let server = try await AuthorizationServer(
                issuer: issuer, store: store, serverKey: serverKey, clock: clock, policies: policy, approvals: service,
                fetcher: HTTPIssuerDocumentFetcher(client: outbound), jwksCooldownSeconds: configuration.jwksRefreshCooldown,
                logger: logger)
            let approvals = Approvals(
                service: service, server: server, store: store, policies: policy, serverKey: serverKey,
                outbound: outbound, clock: clock, logger: logger)
            try await approvals.start()
            return Assembly(
                configuration: configuration, issuer: issuer, port: port, authorizationServer: server, approvals: approvals,
                store: store,
                policy: policy, outbound: outbound, isNewDataDirectory: isNew,
                metrics: ServerMetrics())
        } catch {
            await outbound.shutdown()
            await store.close()
            throw error
        }
    }

    /// The HTTP/1.1 server: a connection idle for 30 s is closed, a request head over 16 KiB is
    /// answered 431 (`RequestHeadLimit`), and a request body that has not arrived whole within
    /// `bodyDeadline` of its head (`ServerConfiguration.bodyTimeout`; README, "Configuration") is
    /// answered 408 (`RequestBodyDeadline`).
    public static func httpServer(metrics: ServerMetrics?, bodyDeadline: Duration) -> HTTPServerBuilder {
        // The handlers are made anew for each connection.
        .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestHeadLimit(metrics: metrics), RequestBodyDeadline(limit: bodyDeadline)],
                idleTimeout: .seconds(30), httpDecoderConfiguration: RequestHeadLimit.decoder))
    }

    /// Runs the server. `announce` receives the `countersign listening on …` line once requests
    /// are accepted, and the first-run hints.
    public static func run(
        configuration: ServerConfiguration, logger: Logger, announce: @escaping @Sendable (String) -> Void
    ) async throws {
        let assembly = try await assemble(configuration: configuration, logger: logger)
        let host = configuration.host
        let app = Application(
            router: assembly.router(),
            server: httpServer(metrics: assembly.metrics, bodyDeadline: .seconds(configuration.bodyTimeout)),
            configuration: .init(address: .hostname(host, port: assembly.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? assembly.port
                announce("countersign listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)")
                if assembly.isNewDataDirectory {
                    announce(
                        """
                        issuer: \(assembly.issuer)
                        create a first client with:
                          countersign client create --id my-service --grant-type client_credentials --scope "read" --data-dir \(configuration.dataDirectory)
                        """)
                }
            },
            logger: logger)
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app),
                    .init(
                        service: BackgroundRefresh(
                            server: assembly.authorizationServer, approvals: assembly.approvals.service, store: assembly.store,
                            logger: logger)),
                    .init(service: PolicyReloader(policy: assembly.policy, signals: signals, logger: logger)),
                ] + assembly.approvals.services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await assembly.close()
            throw error
        }
        await assembly.close()
    }

    /// A port that was free a moment ago, for `--port 0`.
    static func freePort(host: String) async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: host, port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw ConfigurationError("cannot find a free port on \(host)") }
        return port
    }
}
