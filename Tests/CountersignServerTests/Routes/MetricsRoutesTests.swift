import CountersignServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `GET /metrics` over a real socket: Prometheus text with every request counted by its matched
/// route and status, and the OAuth endpoints' answers by outcome.
@Suite struct MetricsRoutesTests {
    static func metrics(_ client: any TestClientProtocol) async throws -> (String, String?) {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        return (String(buffer: response.body), response.headers[.contentType])
    }

    @Test func requestsAndOAuthOutcomesAreCountedByRouteStatusAndResult() async throws {
        try await HTTPSurfaceTests.withServer { client, _ in
            let form = ByteBuffer(string: "grant_type=client_credentials")
            _ = try await client.execute(uri: "/token", method: .post, headers: HTTPSurfaceTests.basic, body: form)
            _ = try await client.execute(uri: "/token", method: .post, headers: HTTPSurfaceTests.basic, body: form)
            var wrongSecret = HTTPSurfaceTests.basic
            wrongSecret[.authorization] = "Basic " + Data("app:wrong".utf8).base64EncodedString()
            _ = try await client.execute(uri: "/token", method: .post, headers: wrongSecret, body: form)
            _ = try await client.execute(
                uri: "/token", method: .post, headers: HTTPSurfaceTests.basic,
                body: ByteBuffer(string: "grant_type=password"))
            // Unmatched paths share one label, so a scan cannot grow the metrics.
            _ = try await client.execute(uri: "/nope-\(UUID().uuidString)", method: .get)
            _ = try await client.execute(uri: "/nope-\(UUID().uuidString)", method: .get)
            let unmatchedDelete = try await client.execute(uri: "/nope-\(UUID().uuidString)", method: .delete)
            #expect(unmatchedDelete.status == .notFound)
            let wrongMethod = try await client.execute(uri: "/token", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed)

            let (text, contentType) = try await Self.metrics(client)
            #expect(contentType == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(
                lines.contains {
                    $0.hasPrefix(#"countersign_http_request_duration_seconds_bucket{method="POST",route="/token",le="0.0005"} "#)
                })
            for expected in [
                #"countersign_http_requests_total{method="POST",route="/token",status="200"} 2"#,
                #"countersign_http_requests_total{method="POST",route="/token",status="401"} 1"#,
                #"countersign_http_requests_total{method="POST",route="/token",status="400"} 1"#,
                #"countersign_http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
                #"countersign_oauth_responses_total{endpoint="token",result="ok"} 2"#,
                #"countersign_oauth_responses_total{endpoint="token",result="invalid_client"} 1"#,
                #"countersign_oauth_responses_total{endpoint="token",result="unsupported_grant_type"} 1"#,
                #"countersign_http_requests_total{method="DELETE",route="unmatched",status="404"} 1"#,
                #"countersign_http_requests_total{method="GET",route="/token",status="405"} 1"#,
                #"countersign_http_request_duration_seconds_count{method="POST",route="/token"} 4"#,
                // Buckets in seconds, from half a millisecond to ten seconds.
                #"countersign_http_request_duration_seconds_bucket{method="POST",route="/token",le="+Inf"} 4"#,
                #"countersign_http_request_duration_seconds_bucket{method="POST",route="/token",le="10.0"} 4"#,
                "# TYPE countersign_http_requests_total counter",
                "# TYPE countersign_http_request_duration_seconds histogram",
                "# TYPE process_start_time_seconds gauge",
                // Shown from the start (counted by RequestHeadLimit, which this in-process server lacks).
                #"countersign_http_rejected_total{reason="request_head_too_large"} 0"#,
                #"countersign_http_rejected_total{reason="malformed_request"} 0"#,
            ] {
                #expect(lines.contains(expected), "missing: \(expected)")
            }
            // Counts and durations only: no client, secret or token.
            #expect(!text.contains("app") && !text.contains(HTTPSurfaceTests.secret) && !text.contains("wrong"))
        }
    }

    @Test func aScrapeIsCountedInTheNextOneAndHEADAnswersTheSameHead() async throws {
        try await HTTPSurfaceTests.withServer { client, _ in
            _ = try await Self.metrics(client)
            let (text, _) = try await Self.metrics(client)
            #expect(text.contains(#"countersign_http_requests_total{method="GET",route="/metrics",status="200"} 1"#))
            let head = try await client.execute(uri: "/metrics", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
