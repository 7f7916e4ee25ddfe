import CountersignCore

/// A compact JWS (RFC 7515 §7.1) split and decoded strictly, before any signature work: at most
/// `maxLength` bytes, exactly three base64url segments (no JWE, no JSON serialization, no extra
/// segments), a header and claims that are strict JSON objects (a repeated name is refused,
/// RFC 7515 §5.2). Shared by the verifiers of our own tokens and of identity providers' tokens;
/// each maps `Malformed` to its own answer.
struct CompactJWS {
    enum Malformed: Error {
        case tooLong, notThreeParts, notBase64URL, headerNotObject, claimsNotObject
    }

    let header: [String: JSONValue]
    let claims: [String: JSONValue]
    let signature: [UInt8]
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`, what the signature covers.
    let signingInput: ArraySlice<UInt8>

    init(_ token: String, maxLength: Int) throws(Malformed) {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxLength else { throw .tooLong }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else { throw .notThreeParts }
        guard let headerBytes = Base64URL.decode(segments[0]), let payloadBytes = Base64URL.decode(segments[1]),
            let signature = Base64URL.decode(segments[2])
        else { throw .notBase64URL }
        guard case .object(let header)? = try? JSONParser(maxDepth: 4).parse(headerBytes) else { throw .headerNotObject }
        guard case .object(let claims)? = try? JSONParser(maxDepth: 16).parse(payloadBytes) else { throw .claimsNotObject }
        self.header = header
        self.claims = claims
        self.signature = signature
        self.signingInput = bytes[..<(segments[0].count + 1 + segments[1].count)]
    }
}
