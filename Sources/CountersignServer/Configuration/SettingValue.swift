import Foundation

/// How the text of one setting becomes a value of `ServerConfiguration`: what the text must be,
/// how it is checked and stored, and how the default is shown (README, "Configuration"). One
/// kind per shape of value; a row of the settings table (`ServerSetting`) names one of them.
struct SettingValue: Sendable {
    /// What a value must be, as both the documentation and a refusal say it ("a number from 0
    /// to 65535"); nil when any text will do. Plain text, no Markdown.
    let requirement: String?
    /// The default, in Markdown.
    let defaultText: String
    /// Whether the flag takes no value and means true (`--allow-private-callbacks`).
    let isSwitch: Bool
    /// Checks `text` and stores it, or throws a `Refusal` saying why it cannot be used.
    let store: @Sendable (_ text: String, _ configuration: inout ServerConfiguration) throws -> Void

    /// Why a text was refused: the rest of the sentence after the setting's name,
    /// `must be a number from 0 to 65535 (got "99999")`.
    struct Refusal: Error {
        let predicate: String
    }

    /// The usual refusal: what the value must be, and the text given.
    static func mustBe(_ requirement: String, got text: some StringProtocol) -> Refusal {
        Refusal(predicate: "must be \(requirement) (got \"\(text)\")")
    }

    /// Any text.
    static func text(_ path: any WritableKeyPath<ServerConfiguration, String> & Sendable) -> SettingValue {
        SettingValue(requirement: nil, defaultText: "`\(ServerConfiguration()[keyPath: path])`", isSwitch: false) {
            text, configuration in configuration[keyPath: path] = text
        }
    }

    /// Text that `accepts` lets through, or none at all: `unset` says what none means. A text
    /// refused is told with `refusal`, by default `mustBe(requirement)`.
    static func optionalText(
        _ path: any WritableKeyPath<ServerConfiguration, String?> & Sendable, unset: String, requirement: String? = nil,
        accepts: @escaping @Sendable (String) -> Bool = { _ in true },
        refusal: (@Sendable (String) -> Refusal)? = nil
    ) -> SettingValue {
        SettingValue(requirement: requirement, defaultText: unset, isSwitch: false) { text, configuration in
            guard accepts(text) else { throw refusal?(text) ?? mustBe(requirement ?? "", got: text) }
            configuration[keyPath: path] = text
        }
    }

    /// A whole number within `range`; `unit` says what it counts ("a number", "seconds").
    static func integer(
        _ path: any WritableKeyPath<ServerConfiguration, Int> & Sendable, _ unit: String, in range: ClosedRange<Int>
    ) -> SettingValue {
        let requirement = "\(unit) from \(range.lowerBound) to \(range.upperBound)"
        return SettingValue(
            requirement: requirement, defaultText: "`\(ServerConfiguration()[keyPath: path])`", isSwitch: false
        ) { text, configuration in
            guard let number = Int(text), range.contains(number) else { throw mustBe(requirement, got: text) }
            configuration[keyPath: path] = number
        }
    }

    /// On or off: `true` `1` `yes` `on` or `false` `0` `no` `off`, in any case; as a flag, its
    /// presence means true.
    static func boolean(_ path: any WritableKeyPath<ServerConfiguration, Bool> & Sendable) -> SettingValue {
        let requirement = "true or false"
        return SettingValue(
            requirement: requirement, defaultText: "`\(ServerConfiguration()[keyPath: path])`", isSwitch: true
        ) { text, configuration in
            switch text.lowercased() {
            case "true", "1", "yes", "on": configuration[keyPath: path] = true
            case "false", "0", "no", "off": configuration[keyPath: path] = false
            // A long value is cut: it may be anything the environment held.
            default: throw mustBe(requirement, got: text.prefix(40))
            }
        }
    }

    /// One of the cases of `Choice`, by its raw value.
    static func choice<Choice: CaseIterable & RawRepresentable<String> & Sendable>(
        _ path: any WritableKeyPath<ServerConfiguration, Choice> & Sendable
    ) -> SettingValue {
        let requirement = "one of " + Choice.allCases.map(\.rawValue).joined(separator: ", ")
        return SettingValue(
            requirement: requirement, defaultText: "`\(ServerConfiguration()[keyPath: path].rawValue)`", isSwitch: false
        ) { text, configuration in
            guard let choice = Choice(rawValue: text) else { throw mustBe(requirement, got: text) }
            configuration[keyPath: path] = choice
        }
    }
}
