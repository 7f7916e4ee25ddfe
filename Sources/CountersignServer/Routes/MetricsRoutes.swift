import CountersignOAuth
import Hummingbird

/// `GET /metrics`: the server's metrics in the Prometheus text format (`ServerMetrics`). Like
/// `/healthz` it needs no credentials; it holds counts and durations, never a token, secret,
/// client or user name.
enum MetricsRoutes {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func add(to router: Router<CountersignRequestContext>, metrics: ServerMetrics) {
        let document: @Sendable () -> OAuthResponse = {
            OAuthResponse(status: 200, headers: [("Content-Type", contentType)], body: metrics.render())
        }
        router.get("/metrics") { _, _ in OAuthRoutes.response(document()) }
        router.head("/metrics") { _, _ in OAuthRoutes.headResponse(document()) }
        OAuthRoutes.refuseOtherMethods(on: "/metrics", allowing: [.get, .head], in: router)
    }
}
