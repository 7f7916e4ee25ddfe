import Foundation
import CountersignCore
import CountersignOAuth
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle

/// The approver API under `/api/v1/approval-requests` (README): each route reads the
/// bearer token and the path, calls `ApproverAPI`, and writes its answer. Votes are POSTs
/// only; a GET on a vote path is 405, never a vote.
enum ApproverRoutes {
    static func add(to router: Router<CountersignRequestContext>, api: ApproverAPI, events: ApprovalEvents) {
        // The API's description (openapi.yaml at the repository root, built into the binary).
        router.get("/api/v1/openapi.yaml") { _, _ in
            OAuthRoutes.response(
                OAuthResponse(
                    status: 200, headers: [("Content-Type", "application/yaml"), ("Cache-Control", "public, max-age=300")],
                    body: PackageResources.openapi_yaml))
        }
        router.get("/api/v1/events") { request, context in
            do {
                let user = try await api.authenticate(request.headers[values: .authorization], from: context.address)
                return serverSentEvents(
                    api: api, events: events, user: user, authorization: request.headers[values: .authorization])
            } catch let failure as ApproverAPI.Failure {
                return OAuthRoutes.response(failure.response)
            } catch {
                return OAuthRoutes.response(OAuthError.serverError(detail: "\(error)").response)
            }
        }
        let base = "/api/v1/approval-requests"
        router.get(RouterPath(base)) { request, context in
            await respond {
                let user = try await api.authenticate(request.headers[values: .authorization], from: context.address)
                return try await api.list(state: request.uri.queryParameters["state"].map(String.init), for: user)
            }
        }
        router.get(RouterPath("\(base)/:id")) { request, context in
            await respond {
                let user = try await api.authenticate(request.headers[values: .authorization], from: context.address)
                return try await api.show(id: context.parameters.get("id") ?? "", for: user)
            }
        }
        for (verb, verdict) in [("approve", Vote.Verdict.approve), ("deny", .deny)] {
            router.post(RouterPath("\(base)/:id/\(verb)")) { request, context in
                await respond {
                    let user = try await api.authenticate(request.headers[values: .authorization], from: context.address)
                    let body: ByteBuffer
                    do {
                        body = try await RequestBodyDeadline.collect(request, context: context, upTo: ApproverAPI.maxBodyBytes)
                    } catch is RequestBodyDeadline.Exceeded {
                        throw ApproverAPI.Failure(
                            status: 408, code: "invalid_request", description: RequestBodyDeadline.description)
                    } catch {
                        throw ApproverAPI.Failure(
                            status: 413, code: "invalid_request",
                            description: "the request body is larger than \(ApproverAPI.maxBodyBytes) bytes")
                    }
                    return try await api.vote(
                        id: context.parameters.get("id") ?? "", verdict: verdict, body: Array(buffer: body), by: user)
                }
            }
            OAuthRoutes.refuseOtherMethods(on: RouterPath("\(base)/:id/\(verb)"), allowing: [.post], in: router)
        }
        for path in ["/api/v1/openapi.yaml", "/api/v1/events", base, "\(base)/:id"] {
            OAuthRoutes.refuseOtherMethods(on: RouterPath(path), allowing: [.get], in: router)
        }
    }

    /// Time between comment lines that keep an idle stream (and its proxies) open, and
    /// between checks that the listener may still listen.
    /// 15 seconds, or `COUNTERSIGN_SSE_HEARTBEAT` seconds (1-300) where a proxy needs it sooner.
    static let heartbeat: Duration = {
        let configured = ProcessInfo.processInfo.environment["COUNTERSIGN_SSE_HEARTBEAT"].flatMap { Int($0) }
        return .seconds(configured.map { min(max($0, 1), 300) } ?? 15)
    }()

    /// `text/event-stream` of the approval changes this approver may see, from now on, with a
    /// comment line every 15 seconds. It ends when the listener goes away, when the server
    /// shuts down, or as soon as the user is disabled or their token replaced: the listener is
    /// read again before every event it is sent, at every heartbeat, and at once when the
    /// store announces a change to that user (so group changes apply too).
    static func serverSentEvents(
        api: ApproverAPI, events: ApprovalEvents, user: User, authorization: [String]
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
                    guard let current = try? await api.currentUser(authorization) else {
                        try await writer.write(ByteBuffer(string: Self.ended))
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

    /// The last words of a stream whose token no longer holds: an event that says so (no request
    /// details) and a reconnection delay of a day, so that a client which reconnects after any
    /// end does not spend its address's failed-authentication allowance on a token that is gone.
    static let ended =
        "event: listener.ended\ndata: {\"reason\":\"this personal token is no longer valid; the user was disabled or given a new token\"}\nretry: 86400000\n\n"

    static func respond(_ body: () async throws -> OAuthResponse) async -> Response {
        do {
            return OAuthRoutes.response(try await body())
        } catch let failure as ApproverAPI.Failure {
            return OAuthRoutes.response(failure.response)
        } catch {
            return OAuthRoutes.response(OAuthError.serverError(detail: "\(error)").response)
        }
    }
}
