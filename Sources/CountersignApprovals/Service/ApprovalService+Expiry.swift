import CountersignCore
import CountersignStore
import Logging

extension ApprovalService {
    /// Writes down the expiry of approval requests whose time has passed (reads already treat
    /// them as expired) and tells the listeners: a ping client hears of it, a push client gets
    /// `expired_token`. Only the process whose transaction writes an expiry announces it.
    public func sweepExpired(logger: Logger, limit: Int = 500) async {
        let now = clock.now()
        do {
            for id in try await store.expiredApprovalRequestIDs(now: now, limit: limit) {
                try await apply(id) { request in request.expire(now: now) }
            }
        } catch {
            logger.warning("sweeping expired approval requests failed", metadata: ["error": "\(error)"])
        }
    }
}
