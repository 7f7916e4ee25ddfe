import CountersignApprovals
import CountersignCore
import CountersignOAuth
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The approver API under `/api/v1` (README, docs/APPROVALS.md): `ApproverAuthentication`
/// authenticates the approver once, and each route reads the path, calls `ApproverAPI` with the
/// approver from its `ApproverRequestContext`, and writes the answer. Votes are POSTs only; a
/// GET on a vote path is 405, never a vote, and needs no token to be told so.
enum ApproverRoutes {
    /// `heartbeat`: the time between comment lines that keep an idle event stream (and its
    /// proxies) open, and between checks that its listener may still listen
    /// (`ServerConfiguration.sseHeartbeat`; README, "Configuration": `sse_heartbeat`).
    static func add(
        to router: Router<CountersignRequestContext>, api: ApproverAPI, events: ApprovalEvents, heartbeat: Duration
    ) {
        // The API's description (openapi.yaml at the repository root, built into the binary).
        router.get("/api/v1/openapi.yaml") { _, _ in
            OAuthRoutes.response(
                OAuthResponse(
                    status: 200, headers: [("Content-Type", "application/yaml"), ("Cache-Control", "public, max-age=300")],
                    body: PackageResources.openapi_yaml))
        }
        let base = "/api/v1/approval-requests"
        // RFC 9110 §15.5.6: other methods on these paths are 405 with Allow, and need no token.
        for verb in ["approve", "deny"] {
            OAuthRoutes.refuseOtherMethods(on: RouterPath("\(base)/:id/\(verb)"), allowing: [.post], in: router)
        }
        for path in ["/api/v1/openapi.yaml", "/api/v1/events", base, "\(base)/:id"] {
            OAuthRoutes.refuseOtherMethods(on: RouterPath(path), allowing: [.get], in: router)
        }
        let approvers = router.group("/api/v1").add(middleware: ApproverAuthentication(api: api))
            .group(context: ApproverRequestContext.self)
        approvers.get("events") { request, context in
            serverSentEvents(
                api: api, events: events, user: context.approver, authorization: request.headers[values: .authorization],
                heartbeat: heartbeat)
        }
        approvers.get("approval-requests") { request, context in
            await respond {
                try await api.list(state: request.uri.queryParameters["state"].map(String.init), for: context.approver)
            }
        }
        approvers.get("approval-requests/:id") { _, context in
            await respond { try await api.show(id: context.parameters.get("id") ?? "", for: context.approver) }
        }
        for (verb, verdict) in [("approve", Vote.Verdict.approve), ("deny", .deny)] {
            approvers.post(RouterPath("approval-requests/:id/\(verb)")) { request, context in
                await respond {
                    let body: ByteBuffer
                    do {
                        body = try await RequestBodyDeadline.collect(
                            request, context: context.connection, upTo: ApproverAPI.maxBodyBytes)
                    } catch is RequestBodyDeadline.Exceeded {
                        throw OAuthError.api(.invalidRequest, status: 408, RequestBodyDeadline.description)
                    } catch {
                        throw OAuthError.api(
                            .invalidRequest, status: 413, "the request body is larger than \(ApproverAPI.maxBodyBytes) bytes")
                    }
                    return try await api.vote(
                        id: context.parameters.get("id") ?? "", verdict: verdict, body: Array(buffer: body),
                        by: context.approver)
                }
            }
        }
    }

    /// `text/event-stream` of the approval changes this approver may see, from now on, with a
    /// comment line every `heartbeat`. It ends when the listener goes away, when the server
    /// shuts down, or as soon as the user is disabled or their token replaced: the listener is
    /// read again before every event it is sent, at every heartbeat, and at once when the
    /// store announces a change to that user (so group changes apply too).
    static func serverSentEvents(
        api: ApproverAPI, events: ApprovalEvents, user: User, authorization: [String], heartbeat: Duration
    ) -> Response {
        let body = ResponseBody { writer in
            // One stream for changes and heartbeats (nil), so one loop writes both in order;
            // made here, so nothing is left registered if the body never runs.
            let (merged, continuation) = AsyncStream.makeStream(
                of: ApprovalChange?.self, bufferingPolicy: .bufferingNewest(256))
            let observer = events.observe { continuation.yield($0) }
            let name = user.name
            let userChanges = events.observeListenerChanges { changed in
                if changed == name { continuation.yield(nil) }
            }
            let beat = Task {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: heartbeat) } catch { return }
                    continuation.yield(nil)
                }
            }
            defer {
                events.remove(observer)
                events.remove(userChanges)
                beat.cancel()
                continuation.finish()
            }
            try await writer.write(ByteBuffer(string: "retry: 3000\n: listening for approval requests\n\n"))
            // A server shutting down ends the stream, so it does not wait for listeners to leave.
            try await withGracefulShutdownHandler {
                var listener = user
                var sequence = 0
                for await change in merged {
                    // A change this listener could not see costs nothing; anything written is
                    // written only to a listener who may still listen now (read again first).
                    if let change, api.serverSentEvent(change, for: listener, sequence: sequence + 1) == nil { continue }
                    let state = await Self.recheck(api, authorization)
                    guard case .current(let current) = state else {
                        // A store that could not say writes nothing and ends the stream plainly,
                        // so the client reconnects after `retry` and is authenticated afresh.
                        if case .gone = state { try await writer.write(ByteBuffer(string: Self.ended)) }
                        break
                    }
                    listener = current
                    if let change {
                        guard let text = api.serverSentEvent(change, for: listener, sequence: sequence + 1) else { continue }
                        sequence += 1
                        try await writer.write(ByteBuffer(string: text))
                    } else {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
            } onGracefulShutdown: {
                continuation.finish()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }

    /// What re-reading a stream's listener found.
    enum Recheck {
        case current(User)
        /// The token is no longer good (401): the user was disabled or given a new token.
        case gone
        /// The store could not answer.
        case unknown
    }

    static func recheck(_ api: ApproverAPI, _ authorization: [String]) async -> Recheck {
        do {
            return .current(try await api.currentUser(authorization))
        } catch {
            return error.status == 401 ? .gone : .unknown
        }
    }

    /// The last words of a stream whose token no longer holds: an event that says so (no request
    /// details) and a reconnection delay of a day, so that a client which reconnects after any
    /// end does not spend its address's failed-authentication allowance on a token that is gone.
    static let ended =
        "event: listener.ended\ndata: {\"reason\":\"this personal token is no longer valid; the user was disabled or given a new token\"}\nretry: 86400000\n\n"

    /// The API's answer, or its refusal in the one wire error type.
    static func respond(_ body: () async throws -> OAuthResponse) async -> Response {
        do {
            return OAuthRoutes.response(try await body())
        } catch let refusal as OAuthError {
            return OAuthRoutes.response(refusal.response)
        } catch {
            return OAuthRoutes.response(OAuthError.serverError(detail: "\(error)").response)
        }
    }
}
