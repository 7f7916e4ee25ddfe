import CountersignCore
import CountersignOAuth
import CountersignStore
import Logging
import ServiceLifecycle

/// Works off the notification outbox (`OutboxDelivery`): the CIBA pings and pushes and the
/// webhook events that approval changes wrote in their own transactions.
///
/// - A change made in this process claimed its rows as it wrote them; `observe` makes their
///   first attempt at once, from memory, without another store round trip.
/// - Every second (and at start) `sweep` claims the rows that are due and unclaimed, or whose
///   claim lapsed, with one compare-and-set update, so of several server processes on one store
///   exactly one takes each row: rows another process (the CLI's `request cancel`, another
///   server's sweeper) wrote, rows left behind by a process that died, and retries.
/// - After each attempt the row is finished (delivered, refused, 3xx/4xx, given up) or put back
///   with its next attempt time from the kind's retry schedule, its claim released; a timer in
///   this process takes it up again on time.
struct NotificationOutboxWorker: Service {
    let outbox: any NotificationOutbox
    let approvals: any ApprovalRequestStore
    let backchannel: BackchannelNotifier?
    let webhooks: WebhookNotifier
    /// This process, as the claimant of rows.
    let claimant: String
    let clock: any WallClock
    let logger: Logger

    /// How long a claim keeps other processes off a row: longer than one attempt (a 5-second
    /// deadline, plus a push's redemption), short enough that a dead process's rows are soon
    /// taken up by another.
    static let lease: Duration = .seconds(15)
    /// Finished rows are kept this long (for operators looking into a delivery), then purged.
    static let keepFinished: Duration = .seconds(3600)

    /// An `ApprovalEvents` observer: the first attempt at the rows this process's change claimed.
    func observe(_ change: ApprovalChange) {
        for delivery in change.deliveries {
            Task { await attempt(delivery, request: change.request) }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var tick = 0
            while !Task.isCancelled {
                await sweep()
                if tick % 60 == 0 { await purge() }
                tick += 1
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
            }
        }
    }

    /// Claims the due rows and makes an attempt at each.
    func sweep() async {
        let now = clock.now()
        let claimed: [OutboxDelivery]
        do {
            claimed = try await outbox.claimDueDeliveries(
                now: now, claim: OutboxClaim(claimant: OutboxClaim.fresh(claimant), until: now + Self.lease), limit: 100)
        } catch {
            logger.warning("claiming due notifications failed", metadata: ["error": "\(error)"])
            return
        }
        for delivery in claimed {
            Task {
                let request: ApprovalRequest?
                do { request = try await approvals.approvalRequest(id: delivery.requestID) } catch {
                    logger.warning("reading a notification's request failed", metadata: ["error": "\(error)"])
                    return  // the claim lapses and the row is taken up again
                }
                guard let request else {
                    await settle(delivery, .refused("the approval request is gone"))
                    return
                }
                await attempt(delivery, request: request)
            }
        }
    }

    func attempt(_ delivery: OutboxDelivery, request: ApprovalRequest) async {
        let result: DeliveryResult
        switch delivery.kind {
        case .ping, .push:
            guard let backchannel else { return }
            result = await backchannel.attempt(delivery, request: request)
        case .webhook:
            result = await webhooks.attempt(delivery, request: request)
        }
        await settle(delivery, result)
    }

    /// Finishes the row, or puts it back for the next attempt of its schedule.
    func settle(_ delivery: OutboxDelivery, _ result: DeliveryResult) async {
        let made = delivery.attempts + 1
        let claimant = delivery.claimant ?? self.claimant
        let schedule = delivery.kind == .webhook ? webhooks.retryDelays : backchannel?.retryDelays ?? []
        do {
            if case .failed = result, made <= schedule.count {
                let delay = schedule[made - 1]
                let next = clock.now() + delay
                if try await outbox.rescheduleDelivery(id: delivery.id, claimant: claimant, attempts: made, nextAttemptAt: next) {
                    Task {
                        try? await Task.sleep(for: delay)
                        await sweep()
                    }
                }
                return
            }
            _ = try await outbox.finishDelivery(id: delivery.id, claimant: claimant, outcome: Self.outcome(result), now: clock.now())
        } catch {
            // The claim lapses and the row is taken up again (at worst delivered twice; a
            // webhook receiver de-duplicates on Countersign-Delivery, a push resends one token).
            logger.warning(
                "recording a notification attempt failed", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    func purge() async {
        let now = clock.now()
        do { _ = try await outbox.purgeDeliveries(finishedBefore: now - Self.keepFinished, now: now) } catch {
            logger.warning("purging finished notifications failed", metadata: ["error": "\(error)"])
        }
    }

    static func outcome(_ result: DeliveryResult) -> String {
        switch result {
        case .delivered(let status): "delivered \(status)"
        case .rejected(let status): "refused by the endpoint with \(status)"
        case .failed(let why, _): "gave up: \(why)"
        case .refused(let why): "not sent: \(why)"
        }
    }
}
