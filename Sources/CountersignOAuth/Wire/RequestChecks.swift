import CountersignCore

/// The checks every form-encoded OAuth endpoint runs before anything else.
enum RequestChecks {
    /// RFC 6749 §3.2: the token endpoint (and its siblings) take POST only.
    static func requirePOST(_ request: OAuthRequest) throws(OAuthError) {
        guard request.method == "POST" else {
            throw OAuthError(.invalidRequest, "this endpoint accepts only POST", status: 405)
        }
    }

    /// RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1: parameters come form-encoded in the body.
    static func formParameters(_ request: OAuthRequest, ownChecks: Set<String> = []) throws(OAuthError) -> FormParameters {
        guard request.contentType == "application/x-www-form-urlencoded" else {
            throw .invalidRequest("the request body must be application/x-www-form-urlencoded")
        }
        return try FormParameters.parse(request.body, ownChecks: ownChecks)
    }
}
