import CountersignCore
import CountersignOAuth
import Hummingbird
import HTTPTypes
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
            for method: HTTPRequest.Method in [.get, .put, .delete, .patch, .head, .options] {
                router.on(path, method: method) { _, _ in
                    methodNotAllowed(allow: "POST")
                }
            }
        }
        let documents: [(String, @Sendable () -> OAuthResponse)] = [
            ("/.well-known/oauth-authorization-server", { server.discovery.response }),
            ("/.well-known/openid-configuration", { server.discovery.response }),
            ("/jwks.json", { server.jwksResponse }),
        ]
        for (path, document) in documents {
            router.get(RouterPath(path)) { _, _ in response(document()) }
            router.head(RouterPath(path)) { _, _ in headResponse(document()) }
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
