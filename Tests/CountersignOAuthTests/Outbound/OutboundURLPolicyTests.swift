import CountersignCore
import Testing

@testable import CountersignOAuth

/// The one outbound URL policy over every purpose: what an issuer document, a `jwks_uri` named
/// by an issuer and a callback (strict, and with private callbacks allowed) may be.
@Suite struct OutboundURLPolicyTests {
    enum Mode: String, Sendable {
        /// `.issuerDocument`.
        case issuer
        /// `.jwksNamedBy(issuer: "https://idp.example.com")`.
        case jwksOfRemote
        /// `.jwksNamedBy(issuer: "http://127.0.0.1:9000")`.
        case jwksOfLoopback
        /// `.callback` without `--allow-private-callbacks`.
        case callback
        /// `.callback` with `--allow-private-callbacks`.
        case privateCallback

        var purpose: OutboundURLPolicy.Purpose {
            switch self {
            case .issuer: .issuerDocument
            case .jwksOfRemote: .jwksNamedBy(issuer: "https://idp.example.com")
            case .jwksOfLoopback: .jwksNamedBy(issuer: "http://127.0.0.1:9000")
            case .callback, .privateCallback: .callback
            }
        }

        var policy: OutboundURLPolicy { OutboundURLPolicy(allowPrivateCallbacks: self == .privateCallback) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let mode: Mode
        let url: String
        /// A part of the refusal, or nil when the URL may be called.
        let refusal: String?
        init(_ mode: Mode, _ url: String, _ refusal: String?) {
            self.mode = mode
            self.url = url
            self.refusal = refusal
        }
        var testDescription: String { "\(mode.rawValue) \(url)" }
    }

    static let userInformation = "must not contain user information"
    static let notPublic = "is not a public address"

    static let cases: [Case] = [
        // Every purpose: an absolute http(s) URL without user information.
        Case(.issuer, "ftp://idp.example.com", "must be an absolute http(s) URL"),
        Case(.callback, "ftp://hooks.example.com", "must be an absolute http(s) URL"),
        Case(.privateCallback, "mailto:ops@example.com", "must be an absolute http(s) URL"),
        Case(.issuer, "https://alice:s3cret@idp.example.com", userInformation),
        Case(.issuer, "http://alice@127.0.0.1:9000", userInformation),
        Case(.jwksOfRemote, "https://k:v@keys.example.com/jwks", userInformation),
        Case(.callback, "https://alice:s3cret@hooks.example.com/hook", userInformation),
        Case(.callback, "https://:s3cret@hooks.example.com/hook", userInformation),
        Case(.callback, "https://a%40b:c@hooks.example.com/hook", userInformation),
        Case(.privateCallback, "http://alice:s3cret@127.0.0.1:8080/hook", userInformation),

        // Issuer documents: https, http only to loopback; never link-local or a numeric oddity.
        Case(.issuer, "https://idp.example.com", nil), Case(.issuer, "https://10.0.0.5/realms/x", nil),
        Case(.issuer, "http://127.0.0.1:8080", nil), Case(.issuer, "http://127.9.9.9", nil),
        Case(.issuer, "http://[::1]:80/x", nil), Case(.issuer, "http://[::ffff:7f00:1]", nil),
        Case(.issuer, "http://localhost:3000", nil), Case(.issuer, "HTTP://LOCALHOST", nil),
        Case(.issuer, "http://idp.example.com", "must use https (plain http is allowed only for loopback hosts"),
        Case(.issuer, "http://10.0.0.5", "must use https"), Case(.issuer, "http://idp.localhost", "must use https"),
        Case(.issuer, "https://169.254.169.254", "must not point to the link-local address 169.254.169.254"),
        Case(.issuer, "http://169.254.169.254", "link-local"), Case(.issuer, "https://[fe80::abcd]", "link-local"),
        Case(.issuer, "https://[::ffff:169.254.1.1]", "link-local"),
        Case(.issuer, "https://2852039166/jwks.json", "must not name an IP address in a non-standard form"),
        Case(.issuer, "http://127.1", "non-standard form"), Case(.issuer, "http://0x7f.0.0.1", "non-standard form"),
        Case(.issuer, "https://169.254.169.254./jwks", "non-standard form"),

        // A jwks_uri a remote issuer names: all of the above, and never this machine.
        Case(.jwksOfRemote, "https://keys.example.com/jwks", nil),
        Case(.jwksOfRemote, "http://keys.example.com/jwks", "must use https"),
        Case(.jwksOfRemote, "https://169.254.169.254/latest/meta-data/", "link-local"),
        Case(.jwksOfRemote, "http://127.0.0.1:6379/jwks.json", "must not point to this machine"),
        Case(.jwksOfRemote, "https://localhost/jwks.json", "must not point to this machine"),
        Case(.jwksOfRemote, "https://keys.localhost/jwks.json", "must not point to this machine"),
        Case(.jwksOfRemote, "http://[::1]:2379/", "must not point to this machine"),
        Case(.jwksOfLoopback, "http://127.0.0.1:9000/jwks", nil),
        Case(.jwksOfLoopback, "http://localhost:9000/jwks", nil),
        Case(.jwksOfLoopback, "http://keys.example.com/jwks", "must use https"),

        // Callbacks: https to public addresses, a name looked up before the call.
        Case(.callback, "https://93.184.216.34/cb", nil),
        Case(.callback, "https://[2606:4700::1111]:8443/cb", nil),
        Case(.callback, "http://93.184.216.34/cb", "plain http is refused; use https (or serve --allow-private-callbacks)"),
        Case(.callback, "https://127.0.0.1:8443/cb", "127.0.0.1 \(notPublic)"),
        Case(.callback, "https://[::1]/cb", "::1 \(notPublic)"),
        Case(.callback, "https://[::ffff:127.0.0.1]/cb", "127.0.0.1 \(notPublic)"),
        Case(.callback, "https://10.1.2.3/cb", "10.1.2.3 \(notPublic)"),
        Case(.callback, "https://169.254.169.254/cb", "169.254.169.254 \(notPublic)"),
        Case(.callback, "https://[fe80::1]/cb", "fe80::1 \(notPublic)"),
        Case(.callback, "https://localhost/cb", "localhost \(notPublic)"),
        Case(.callback, "https://hooks.localhost/cb", "localhost \(notPublic)"),
        Case(.callback, "https://127.1/cb", "127.1 resolves to 127.0.0.1, which \(notPublic)"),
        Case(.callback, "https://2130706433/cb", "2130706433 resolves to 127.0.0.1, which \(notPublic)"),
        Case(.callback, "https://hooks.invalid/cb", "hooks.invalid does not resolve"),

        // With private callbacks allowed: any address, plain http too.
        Case(.privateCallback, "http://127.0.0.1:8080/cb", nil),
        Case(.privateCallback, "https://169.254.169.254/cb", nil),
        Case(.privateCallback, "http://localhost/cb", nil),
    ]

    @Test(arguments: cases)
    func theOnePolicy(_ example: Case) async {
        let found = await example.mode.policy.problem(with: example.url, for: example.mode.purpose)?.description
        if let refusal = example.refusal {
            #expect(found?.contains(refusal) == true, "\(example.url): \(found ?? "allowed")")
        } else {
            #expect(found == nil, "\(example.url): \(found ?? "")")
        }
    }

    /// Registration checks the text alone: for an issuer every rule, for a callback only those
    /// of every purpose (it cannot know serve's --allow-private-callbacks, nor look names up).
    @Test(arguments: cases)
    func registrationChecksTheTextRules(_ example: Case) {
        let found = OutboundURLPolicy.textProblem(example.url, for: example.mode.purpose)?.description
        switch example.mode {
        case .issuer, .jwksOfRemote, .jwksOfLoopback:
            if let refusal = example.refusal {
                #expect(found?.contains(refusal) == true, "\(example.url): \(found ?? "allowed")")
            } else {
                #expect(found == nil, "\(example.url): \(found ?? "")")
            }
        case .callback, .privateCallback:
            let everyPurpose = [Self.userInformation, "must be an absolute http(s) URL"].contains(example.refusal ?? "")
            if everyPurpose {
                #expect(found?.contains(example.refusal ?? "") == true, "\(example.url): \(found ?? "allowed")")
            } else {
                #expect(found == nil, "\(example.url): \(found ?? "")")
            }
        }
    }

    @Test func aRefusalNeverRepeatsTheUserInformation() async {
        let url = "https://alice:s3cret@hooks.example.com/hook"
        for mode in [Mode.issuer, .callback, .privateCallback] {
            let found = await mode.policy.problem(with: url, for: mode.purpose)
            #expect(found == .userInformation)
            #expect(found?.description.contains("s3cret") == false)
        }
    }

    /// The client checks every URL before it connects: a refused one gets no request.
    @Test func theClientAsksThePolicyFirst() async {
        let client = OutboundHTTPClient(policy: OutboundURLPolicy(allowPrivateCallbacks: false))
        let posted = await client.post("https://127.0.0.1:1/cb", as: .callback, headers: [], body: [])
        #expect(posted == .failure(.refused(.nonPublicHost("127.0.0.1"))))
        let fetched = await client.get("http://idp.example.com/jwks", as: .issuerDocument, accept: "application/json")
        guard case .failure(.refused(.plainHTTPToRemoteIssuer)) = fetched else {
            Issue.record("fetched: \(fetched)")
            await client.shutdown()
            return
        }
        await client.shutdown()
    }
}
