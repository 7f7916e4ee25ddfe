import Foundation
import Prometheus
import Synchronization

/// What `GET /metrics` shows, in the Prometheus text format (0.0.4): every HTTP request by
/// method, matched route (`unmatched` for a 404, so a scan cannot grow the label space) and
/// status, with its duration; every answer of the OAuth endpoints by outcome (`ok` or the
/// RFC 6749 §5.2 `error` code, so decisions show as `access_denied`, `approval_required`,
/// `insufficient_user_authentication`); request heads refused before routing (431, malformed);
/// and the process's start time. Each server has a registry
/// of its own: nothing is global, so several servers in one process (tests, `demo`) keep apart.
public final class ServerMetrics: Sendable {
    struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    struct RouteKey: Hashable {
        let method: String
        let route: String
    }

    struct OutcomeKey: Hashable {
        let endpoint: String
        let result: String
    }

    /// Request durations, from half a millisecond to ten seconds.
    static let durationBuckets: [Duration] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000].map {
        .microseconds(Int64($0 * 1000))
    }

    /// `countersign_SUBSYSTEM_NAME_UNIT`, with its `# HELP` text.
    static func name(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "countersign", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    static var startTime: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "process", metricName: "start_time", unitName: "seconds",
            helpText: "When the server process started, in seconds since 1970.")
    }
    static var httpRequests: MetricNameDescriptor {
        name("http", "requests", "total", "HTTP requests answered, by method, matched route and status.")
    }
    static var httpDuration: MetricNameDescriptor {
        name("http", "request_duration", "seconds", "Time from a request's head to its answer, by method and matched route.")
    }
    static var httpRejected: MetricNameDescriptor {
        name(
            "http", "rejected", "total",
            "Request heads refused before routing, by reason (request_head_too_large: 431; malformed_request: 400).")
    }
    static var oauthResponses: MetricNameDescriptor {
        name("oauth", "responses", "total", "Answers of the OAuth endpoints, by endpoint and outcome (ok or the OAuth error code).")
    }

    let registry = PrometheusCollectorRegistry()
    let requests = Mutex<[RequestKey: Counter]>([:])
    let durations = Mutex<[RouteKey: DurationHistogram]>([:])
    let outcomes = Mutex<[OutcomeKey: Counter]>([:])
    let headTooLarge: Counter
    let malformedRequest: Counter

    /// A registry with every series at zero and the process start time set.
    public init(startTime: Date = Date()) {
        registry.makeGauge(descriptor: Self.startTime).set(startTime.timeIntervalSince1970)
        headTooLarge = registry.makeCounter(descriptor: Self.httpRejected, labels: [("reason", "request_head_too_large")])
        malformedRequest = registry.makeCounter(descriptor: Self.httpRejected, labels: [("reason", "malformed_request")])
    }

    /// A request head refused before routing: over the size limits (431), or not HTTP (400).
    func recordRejectedHead(tooLarge: Bool) {
        (tooLarge ? headTooLarge : malformedRequest).increment()
    }

    /// One HTTP request answered: `route` is the matched route pattern (`/api/v1/approval-requests/{id}`);
    /// anything else (nil, or Hummingbird's `NotFound` for a path no route has) counts as `unmatched`.
    func recordRequest(method: String, route: String?, status: Int, duration: Duration) {
        let route = route.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        Self.metric(in: requests, RequestKey(method: method, route: route, status: status)) {
            registry.makeCounter(
                descriptor: Self.httpRequests, labels: [("method", method), ("route", route), ("status", String(status))])
        }.increment()
        Self.metric(in: durations, RouteKey(method: method, route: route)) {
            registry.makeDurationHistogram(
                descriptor: Self.httpDuration, labels: [("method", method), ("route", route)], buckets: Self.durationBuckets)
        }.record(duration)
    }

    /// One answer of an OAuth endpoint (`token`, `introspect`, `revoke`, `bc-authorize`):
    /// `ok`, or the `error` code it refused with.
    func recordOutcome(endpoint: String, error: String?) {
        let result = error ?? "ok"
        Self.metric(in: outcomes, OutcomeKey(endpoint: endpoint, result: result)) {
            registry.makeCounter(descriptor: Self.oauthResponses, labels: [("endpoint", endpoint), ("result", result)])
        }.increment()
    }

    /// The metric kept in `table` under `key`, made (and registered) the first time it is asked for.
    static func metric<Key: Hashable & Sendable, Metric: Sendable>(
        in table: borrowing Mutex<[Key: Metric]>, _ key: Key, make: () -> Metric
    ) -> Metric {
        table.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }

    /// Every metric in the Prometheus text format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
