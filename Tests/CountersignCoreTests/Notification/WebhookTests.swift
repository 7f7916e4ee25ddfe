import CountersignCore
import Testing

/// What the audit chain keeps of a webhook's URL: its origin and hash, never a credential.
@Suite struct WebhookTests {
    static func hook(_ url: String) -> Webhook {
        Webhook(id: "wh_1", group: "finance-leads", url: url, format: .json, sealedSecret: [1], createdAt: .epoch)
    }

    @Test(arguments: [
        ("https://hooks.example.com/services/T0/B0/XYZ", "https://hooks.example.com"),
        ("https://hooks.example.com:8443", "https://hooks.example.com:8443"),
        ("https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443"),
        // User information, however it is written, is not part of the origin.
        ("https://alice:s3cret@hooks.example.com/hook", "https://hooks.example.com"),
        ("https://alice:s3cret@hooks.example.com", "https://hooks.example.com"),
        ("https://alice:s3c@ret@hooks.example.com/x", "https://hooks.example.com"),
        ("http://alice:s3cret@127.0.0.1:8080/hook", "http://127.0.0.1:8080"),
        // Nor is a query or anything after a backslash.
        ("https://hooks.example.com?token=s3cret", "https://hooks.example.com"),
        ("https://hooks.example.com\\s3cret@x", "https://hooks.example.com"),
        ("not a url s3cret", "?"),
    ])
    func theOriginIsSchemeHostAndPortOnly(url: String, origin: String) {
        let data = Self.hook(url).auditData
        #expect(data["url_origin"] == .string(origin))
        #expect(!CanonicalJSON.exactString(.object(data)).contains("s3c"))
    }

    @Test func theUserInformationIsReadFromTheText() {
        #expect(URLAuthority(of: "https://alice:pw@host/x")?.userInfo == "alice:pw")
        #expect(URLAuthority(of: "https://@host/x")?.userInfo == "")
        #expect(URLAuthority(of: "https://host/x@y")?.userInfo == nil)
        #expect(URLAuthority(of: "https://host?x=@y")?.userInfo == nil)
        #expect(URLAuthority(of: "HTTPS://host")?.origin == "HTTPS://host")
        #expect(URLAuthority(of: "1https://host") == nil)
        #expect(URLAuthority(of: "https:/host") == nil)
    }
}
