import CountersignApprovals
import CountersignOAuth
import CountersignStore
import Logging
import ServiceLifecycle
import UnixSignals

/// Keeps the server in step with its store: every second it picks up clients, keys and
/// revocations changed by other processes and writes down the expiry of approval requests
/// whose time has passed; every minute it purges expired revocations; it checkpoints the SQLite WAL outside any request.
struct BackgroundRefresh: Service {
    let server: AuthorizationServer
    let approvals: ApprovalService
    let store: SQLiteStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var tick = 0
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(1))
                } catch {
                    return  // cancelled: the server is shutting down
                }
                await server.refresh()
                await approvals.sweepExpired(logger: logger)
                await store.checkpoint()
                tick += 1
                if tick % 60 == 0 { await server.purge() }
            }
        }
    }
}

/// Reloads the policy on SIGHUP; a refused file is logged with its location (and audited as
/// `policy.refused` by the holder) and the running policy stays.
struct PolicyReloader: Service {
    let policy: PolicyHolder
    let signals: UnixSignalsSequence
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    let file = try await policy.load(actor: "signal:SIGHUP")
                    logger.notice("policy reloaded", metadata: ["path": "\(file.path)", "sha256": "\(file.sha256)"])
                } catch {
                    logger.error("policy reload refused; the running policy stays", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
