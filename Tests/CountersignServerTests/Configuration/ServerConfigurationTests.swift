import CountersignServer
import Foundation
import Logging
import Testing

@Suite struct ServerConfigurationTests {
    typealias Layer = ServerConfiguration.Layer

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-config-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsAreThoseInTheREADME() throws {
        let config = try ServerConfiguration.resolve([])
        #expect(config.dataDirectory == "./countersign-data")
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.effectiveIssuer(boundPort: 8080) == "http://127.0.0.1:8080")
        #expect(config.effectivePolicyPath.hasSuffix("countersign-data/policy.yaml"))
        #expect(config.databaseURL == nil)
        #expect(config.logLevel == .info)
    }

    @Test func flagBeatsVariableBeatsFileBeatsDefault() throws {
        let path = try file("port: 7000\nhost: 0.0.0.0\nlog_level: debug\ndata_dir: /from-file\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try Layer.file(path)
        let env = Layer.environment(["COUNTERSIGN_PORT": "7001", "COUNTERSIGN_HOST": "10.0.0.1"])
        let flags = Layer([.port: "7002"])
        let config = try ServerConfiguration.resolve([flags, env, fromFile])
        #expect(config.port == 7002)
        #expect(config.host == "10.0.0.1")
        #expect(config.logLevel == .debug)
        #expect(config.dataDirectory == "/from-file")
    }

    @Test func privateCallbacksAreOffUnlessSaidPlainly() throws {
        #expect(try ServerConfiguration.resolve([]).allowPrivateCallbacks == false)
        #expect(try ServerConfiguration.resolve([Layer([.allowPrivateCallbacks: "true"])]).allowPrivateCallbacks)
        #expect(try ServerConfiguration.resolve([Layer([.allowPrivateCallbacks: "off"])]).allowPrivateCallbacks == false)
        #expect {
            _ = try ServerConfiguration.resolve([Layer([.allowPrivateCallbacks: "maybe"])])
        } throws: { error in
            "\(error)" == "allow private callbacks must be true or false (got \"maybe\")"
        }
    }

    @Test func anUnknownKeyInTheFileIsAnErrorWithItsPosition() throws {
        let path = try file("port: 1\nprot: 2\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try Layer.file(path)
        } throws: { error in
            "\(error)"
                == "\(path):2:1: unknown setting \"prot\"; known settings: data_dir, host, port, issuer, policy, database_url, log_level, jwks_refresh_cooldown, allow_private_callbacks, body_timeout, sse_heartbeat"
        }
    }

    @Test(arguments: [
        (Layer([.port: "99999"]), "port must be a number from 0 to 65535 (got \"99999\")"),
        (Layer([.port: "http"]), "port must be a number from 0 to 65535 (got \"http\")"),
        (Layer([.logLevel: "loud"]), "log level must be one of trace, debug, info, notice, warning, error, critical (got \"loud\")"),
        (
            Layer([.issuer: "https://as.example.com/"]),
            "issuer must be an http(s) URL without query, fragment or trailing slash (got \"https://as.example.com/\")"
        ),
        (Layer([.issuer: "ftp://x"]), "issuer must be an http(s) URL without query, fragment or trailing slash (got \"ftp://x\")"),
        (Layer([.databaseURL: "mysql://x"]), "database URL must start with postgres:// (got a different scheme)"),
        (Layer([.jwksRefreshCooldown: "86401"]), "jwks refresh cooldown must be seconds from 0 to 86400 (got \"86401\")"),
        (
            Layer([.allowPrivateCallbacks: String(repeating: "y", count: 50)]),
            "allow private callbacks must be true or false (got \"\(String(repeating: "y", count: 40))\")"
        ),
        (Layer([.bodyTimeout: "0"]), "body timeout must be seconds from 1 to 300 (got \"0\")"),
        (Layer([.sseHeartbeat: "soon"]), "SSE heartbeat must be seconds from 1 to 300 (got \"soon\")"),
    ])
    func badValuesAreRefusedWithTheReason(layer: Layer, message: String) {
        #expect {
            _ = try ServerConfiguration.resolve([layer])
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test func aFileThatIsNotAMappingIsRefused() throws {
        let path = try file("- a\n- b\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigurationError.self) { try Layer.file(path) }
        let nested = try file("port: [1, 2]\n")
        defer { try? FileManager.default.removeItem(atPath: nested) }
        #expect { _ = try Layer.file(nested) } throws: { "\($0)".contains("port must be a single value") }
    }
}
