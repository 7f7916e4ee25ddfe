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

    static var startTime: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "process", metricName: "start_time", unitName: "seconds",
            helpText: "When the server process started, in seconds since 1970.")
    }
    static var httpRequests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by method, matched route and status.")
    }
    static var httpDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time from a request's head to its answer, by method and matched route.")
    }
    static var httpRejected: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", subsystem: "http", metricName: "rejected", unitName: "total",
            helpText: "Request heads refused before routing, by reason (request_head_too_large: 431; malformed_request: 400).")
    }
    static var oauthResponses: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", subsystem: "oauth", metricName: "responses", unitName: "total",
            helpText: "Answers of the OAuth endpoints, by endpoint and outcome (ok or the OAuth error code).")
    }

    let registry = PrometheusCollectorRegistry()
    let requests = Mutex<[RequestKey: Counter]>([:])
    let durations = Mutex<[RouteKey: DurationHistogram]>([:])
    let outcomes = Mutex<[OutcomeKey: Counter]>([:])
    let headTooLarge: Counter
    let malformedRequest: Counter

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
        let requestKey = RequestKey(method: method, route: route, status: status)
        let counter = requests.withLock { counters in
            if let counter = counters[requestKey] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.httpRequests, labels: [("method", method), ("route", route), ("status", String(status))])
            counters[requestKey] = counter
            return counter
        }
        counter.increment()
        let routeKey = RouteKey(method: method, route: route)
        let histogram = durations.withLock { histograms in
            if let histogram = histograms[routeKey] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: Self.httpDuration, labels: [("method", method), ("route", route)], buckets: Self.durationBuckets)
            histograms[routeKey] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// One answer of an OAuth endpoint (`token`, `introspect`, `revoke`, `bc-authorize`):
    /// `ok`, or the `error` code it refused with.
    func recordOutcome(endpoint: String, error: String?) {
        let key = OutcomeKey(endpoint: endpoint, result: error ?? "ok")
        let counter = outcomes.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.oauthResponses, labels: [("endpoint", key.endpoint), ("result", key.result)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Every metric in the Prometheus text format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
