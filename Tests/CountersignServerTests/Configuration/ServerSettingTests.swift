import CountersignServer
import Foundation
import Testing

/// The settings table (`ServerSetting`): every row is reachable from each layer under its own
/// names, and the two settings that once read the environment by hand now go through it.
@Suite struct ServerSettingTests {
    typealias Layer = ServerConfiguration.Layer

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-setting-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func namesFollowOneConventionAndNeverRepeat() {
        for setting in ServerSetting.allCases {
            #expect(setting.environmentVariable == "COUNTERSIGN_" + setting.fileKey.uppercased())
            #expect(setting.flag == setting.fileKey.replacingOccurrences(of: "_", with: "-"))
        }
        #expect(Set(ServerSetting.allCases.map(\.fileKey)).count == ServerSetting.allCases.count)
        #expect(ServerSetting(fileKey: "log_level") == .logLevel)
        #expect(ServerSetting(fileKey: "log-level") == nil)
    }

    @Test func everySettingIsReadFromItsVariableAndItsFileKey() throws {
        for setting in ServerSetting.allCases {
            #expect(Layer.environment([setting.environmentVariable: "v"]) == Layer([setting: "v"]))
            let path = try file("\(setting.fileKey): v\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try Layer.file(path) == Layer([setting: "v"]))
        }
    }

    @Test func onlyTheSwitchTakesNoValue() {
        #expect(ServerSetting.allCases.filter(\.isSwitch) == [.allowPrivateCallbacks])
    }

    @Test func bodyTimeoutAndHeartbeatKeepTheirVariablesAndDefaults() throws {
        let defaults = try ServerConfiguration.resolve([])
        #expect(defaults.bodyTimeout == 10)
        #expect(defaults.sseHeartbeat == 15)
        let env = Layer.environment(["COUNTERSIGN_BODY_TIMEOUT": "3", "COUNTERSIGN_SSE_HEARTBEAT": "300"])
        let configured = try ServerConfiguration.resolve([env])
        #expect(configured.bodyTimeout == 3)
        #expect(configured.sseHeartbeat == 300)
        // Like every setting: flag beats variable beats file.
        let path = try file("body_timeout: 20\nsse_heartbeat: 1\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layered = try ServerConfiguration.resolve([Layer([.bodyTimeout: "30"]), env, try Layer.file(path)])
        #expect(layered.bodyTimeout == 30)
        #expect(layered.sseHeartbeat == 300)
    }

    @Test func bodyTimeoutAndHeartbeatOutsideTheirBoundsAreRefusedNotClamped() {
        for (variable, value, message) in [
            ("COUNTERSIGN_BODY_TIMEOUT", "301", "body timeout must be seconds from 1 to 300 (got \"301\")"),
            ("COUNTERSIGN_SSE_HEARTBEAT", "0", "SSE heartbeat must be seconds from 1 to 300 (got \"0\")"),
        ] {
            #expect {
                _ = try ServerConfiguration.resolve([Layer.environment([variable: value])])
            } throws: { error in
                "\(error)" == message
            }
        }
    }

    @Test func theHelpSaysTheVariableTheValuesAndTheDefault() {
        #expect(
            ServerSetting.port.help == "Port to listen on, 0 for any free port (COUNTERSIGN_PORT: a number from 0 to 65535; default 8080).")
        #expect(ServerSetting.host.help == "Address to listen on (COUNTERSIGN_HOST; default 127.0.0.1).")
        #expect(
            ServerSetting.databaseURL.help
                == "PostgreSQL database; accepted, but refused at start: not implemented yet (COUNTERSIGN_DATABASE_URL: a postgres:// URL; default SQLite at DATA_DIR/countersign.sqlite)."
        )
    }
}
