import CountersignOAuth
import Testing

@Suite struct FormParametersTests {
    func parse(_ text: String) throws(OAuthError) -> FormParameters {
        try FormParameters.parse(Array(text.utf8))
    }

    @Test func decodesPercentAndPlus() throws {
        let params = try parse("a=x%20y+z&b=%E2%82%AC&c=")
        #expect(params["a"] == "x y z")
        #expect(params["b"] == "€")
        #expect(params["c"] == nil)  // empty counts as absent
    }

    @Test(arguments: [
        ("grant_type=a&grant_type=b", "parameter grant_type was given more than once"),
        ("scope=&scope=x", "parameter scope was given more than once"),
        ("scope[]=x", "parameter names with brackets are not accepted"),
        ("client_id[a]=b", "parameter names with brackets are not accepted"),
        ("a=%zz", "parameter a is not valid form encoding or UTF-8"),
        ("a=%4", "parameter a is not valid form encoding or UTF-8"),
        ("a=%C3%28", "parameter a is not valid form encoding or UTF-8"),
        ("a=%00", "parameter a is not valid form encoding or UTF-8"),
        ("a=x%0Ay", "parameter a is not valid form encoding or UTF-8"),
        ("=x", "a form parameter has no name"),
    ])
    func refusesWithTheReason(body: String, description: String) {
        #expect {
            try parse(body)
        } throws: { error in
            let e = error as? OAuthError
            return e?.code == .invalidRequest && e?.description == description && e?.status == 400
        }
    }

    @Test func refusesTooManyParameters() {
        let body = (0...FormParameters.maxCount).map { "p\($0)=1" }.joined(separator: "&")
        #expect(throws: OAuthError.self) { try parse(body) }
    }

    @Test func refusesRawInvalidUTF8() {
        #expect(throws: OAuthError.self) { try FormParameters.parse([0x61, 0x3D, 0xFF]) }
    }

    @Test func errorDescriptionsNeverCarryQuotesOrControls() {
        let error = OAuthError.invalidRequest("bad \"x\"\r\nInjected: é\\")
        #expect(error.description == "bad ?x???Injected: ??")
    }
}
