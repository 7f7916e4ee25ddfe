import Foundation
import Yams

extension ServerConfiguration {
    /// One layer of settings: what the flags, the environment or the config file say, as text,
    /// before it is checked (README, "Configuration"). A setting a layer does not mention is absent.
    public struct Layer: Sendable, Equatable {
        /// The text of each setting this layer mentions.
        public var values: [ServerSetting: String]

        /// A layer of the settings given; a nil value is a setting not given.
        public init(_ values: [ServerSetting: String?] = [:]) {
            self.values = values.compactMapValues { $0 }
        }

        /// What this layer says of `setting`, nil when it says nothing.
        public subscript(setting: ServerSetting) -> String? {
            get { values[setting] }
            set { values[setting] = newValue }
        }

        /// The `COUNTERSIGN_*` variables of the settings table.
        public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Layer {
            Layer(Dictionary(uniqueKeysWithValues: ServerSetting.allCases.map { ($0, env[$0.environmentVariable]) }))
        }

        /// The keys of a YAML config file; unknown keys and non-scalar values are errors.
        public static func file(_ path: String) throws -> Layer {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("cannot read config file \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("\(path): the config file is not UTF-8")
            }
            let node: Node?
            do {
                node = try Yams.compose(yaml: text)
            } catch let error as YamlError {
                throw ConfigurationError("\(path): \(error)")
            }
            guard let node else { return Layer() }
            guard let mapping = node.mapping else {
                throw ConfigurationError("\(path):1:1: the config file must be a mapping of settings")
            }
            var layer = Layer()
            for (key, value) in mapping {
                let line = key.mark.map { "\($0.line):\($0.column)" } ?? "1:1"
                guard let name = key.string, let setting = ServerSetting(fileKey: name) else {
                    let known = ServerSetting.allCases.map(\.fileKey).joined(separator: ", ")
                    throw ConfigurationError("\(path):\(line): unknown setting \"\(key.string ?? "?")\"; known settings: \(known)")
                }
                guard let scalar = value.scalar else {
                    throw ConfigurationError("\(path):\(line): \(name) must be a single value")
                }
                layer[setting] = scalar.string
            }
            return layer
        }
    }
}
