import CountersignCore
import CountersignOAuth
import HTTPTypes
import Hummingbird
import NIOCore

/// Routes that adapt HTTP to the protocol endpoints: decode the request into an `OAuthRequest`,
/// call the endpoint, encode its `OAuthResponse`. They decide nothing.
enum OAuthRoutes {
    /// Form bodies over this size are refused with 413 before parsing.
    static let maxBodyBytes = 64 * 1024

    static func add(to router: Router<CountersignRequestContext>, server: AuthorizationServer, metrics: ServerMetrics) {
        let endpoints: [(name: String, handle: @Sendable (OAuthRequest) async -> OAuthResponse)] = [
            ("token", { await server.token.handle($0) }),
            ("introspect", { await server.introspection.handle($0) }),
            ("revoke", { await server.revocation.handle($0) }),
            ("bc-authorize", { await server.backchannel.handle($0) }),
        ]
        for (name, handle) in endpoints {
            let path = RouterPath("/" + name)
            router.post(path) { request, context in
                let answer = await respond(request, context, handle)
                metrics.recordOutcome(endpoint: name, error: answer.error)
                return response(answer)
            }
            refuseOtherMethods(on: path, allowing: [.post], in: router)
        }
        let documents: [(String, @Sendable () -> OAuthResponse)] = [
            ("/.well-known/oauth-authorization-server", { server.discovery.response }),
            ("/.well-known/openid-configuration", { server.discovery.response }),
            ("/jwks.json", { server.jwksResponse }),
        ]
        for (path, document) in documents {
            router.get(RouterPath(path)) { _, _ in response(document()) }
            router.head(RouterPath(path)) { _, _ in headResponse(document()) }
            refuseOtherMethods(on: RouterPath(path), allowing: [.get, .head], in: router)
        }
    }

    /// The methods a resource is answered 405 for when it does not support them: RFC 9110's, PATCH
    /// (RFC 5789) and QUERY (the safe method with a body), all of which the HTTP parser lets through.
    static let knownMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, .query]

    /// RFC 9110 §15.5.6: a method the server knows but the resource does not support is 405 with
    /// `Allow` listing the ones it does, never a 404 that says the resource is not there. Call it
    /// after the route's own methods. A resource that has GET but no HEAD keeps HEAD unanswered
    /// (404) rather than claim HEAD is not allowed.
    static func refuseOtherMethods(
        on path: RouterPath, allowing allowed: [HTTPRequest.Method], in router: Router<CountersignRequestContext>
    ) {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        for method in knownMethods where !allowed.contains(method) && !(method == .head && allowed.contains(.get)) {
            router.on(path, method: method) { _, _ in methodNotAllowed(allow: allow) }
        }
    }

    /// Reads the request into an `OAuthRequest` and returns the endpoint's answer; a body too
    /// large, too slow or unreadable is answered here.
    static func respond(
        _ request: Request, _ context: CountersignRequestContext,
        _ endpoint: (OAuthRequest) async -> OAuthResponse
    ) async -> OAuthResponse {
        // Built only when needed: an error sanitises its text, which costs on every request.
        var tooLarge: OAuthError {
            OAuthError(.invalidRequest, "the request body is larger than \(maxBodyBytes) bytes", status: 413)
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            return tooLarge.response
        }
        let body: ByteBuffer
        do {
            body = try await RequestBodyDeadline.collect(request, context: context, upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return tooLarge.response
        } catch is RequestBodyDeadline.Exceeded {
            // Unread to its end: `UnreadBodyGuard` closes the connection after this answer.
            return OAuthError(.invalidRequest, RequestBodyDeadline.description, status: 408).response
        } catch {
            return OAuthError.invalidRequest("the request body could not be read completely").response
        }
        let contentType = request.headers[.contentType].map(OAuthRequest.mediaType)
        let oauthRequest = OAuthRequest(
            method: request.method.rawValue, contentType: contentType,
            authorization: request.headers[values: .authorization], body: Array(buffer: body),
            remoteAddress: context.remoteAddress?.ipAddress)
        return await endpoint(oauthRequest)
    }

    static func methodNotAllowed(allow: String) -> Response {
        var r = response(OAuthError(.invalidRequest, "this endpoint accepts only \(allow)", status: 405).response)
        r.headers[.allow] = allow
        return r
    }

    /// RFC 9110 §9.3.2: the GET response's headers, without its content.
    static func headResponse(_ value: OAuthResponse) -> Response {
        var r = response(OAuthResponse(status: value.status, headers: value.headers, body: []))
        r.headers[.contentLength] = String(value.body.count)
        return r
    }

    /// Writes a protocol response as an HTTP response.
    static func response(_ value: OAuthResponse) -> Response {
        var headers = HTTPFields()
        for (name, field) in value.headers {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: field)) }
        }
        return Response(
            status: HTTPResponse.Status(code: value.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.body)))
    }
}
