import Foundation

extension ServerSetting {
    /// The flag's help for `countersign serve --help` and the admin commands: the line of
    /// documentation, the variable, what a value must be and the default (README, "Configuration").
    public var help: String {
        let definition = definition
        let requirement = definition.value.requirement.map { ": \($0)" } ?? ""
        let defaultText = Self.plain(definition.value.defaultText)
        return "\(Self.plain(definition.summary)) (\(environmentVariable)\(requirement); default \(defaultText))."
    }

    /// The README's configuration table, one row per setting (README, "Configuration");
    /// `ServerSettingDocumentationTests` holds the README to it.
    public static var markdownTable: String {
        var lines = ["| flag | variable | file key | default | accepts | meaning |", "|---|---|---|---|---|---|"]
        for setting in allCases {
            let definition = setting.definition
            let flag = "--\(definition.flag)" + (definition.argument.map { " \($0)" } ?? "")
            lines.append(
                "| `\(flag)` | `\(definition.environmentVariable)` | `\(definition.fileKey)` | \(definition.value.defaultText) | "
                    + "\(definition.value.requirement ?? "any text") | \(definition.summary) |")
        }
        return lines.joined(separator: "\n")
    }

    /// Markdown without its code marks, for a terminal.
    static func plain(_ markdown: String) -> String {
        markdown.replacingOccurrences(of: "`", with: "")
    }
}
