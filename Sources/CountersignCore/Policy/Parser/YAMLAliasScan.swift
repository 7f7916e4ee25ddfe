import Yams

/// Finds YAML anchors (`&name`) and aliases (`*name`) before Yams composes a document. Yams
/// resolves aliases while composing, and its duplicate-key check hashes whole aliased subtrees,
/// so an alias bomb (`? *l9`) costs time before any node reaches the parser's own checks.
/// Policies never need anchors or aliases, so any one refuses the file.
///
/// libyaml itself decides where aliases are, not a second scanner: the text is composed once
/// with every `*` replaced by a private-use character. That character is ordinary text
/// wherever `*` is text (plain, quoted and block scalars, comments), so up to the first alias
/// libyaml reads both texts alike; there, where `*` would begin an alias, the stand-in begins a
/// plain scalar instead. A plain scalar that starts with the stand-in is therefore an alias,
/// and a copy without one means a file without one. The copy has no aliases to expand, so
/// composing it is linear, and the anchors it reports are the file's anchors. Where the copy
/// is not valid YAML (a `*` in a tag, an alias where a plain scalar cannot stand), the file is
/// refused with that error.
enum YAMLAliasScan {
    static let standIn: Unicode.Scalar = "\u{E000}"

    /// Why the file cannot be composed safely, or nil when it has no anchor or alias.
    static func refusal(in text: String) -> PolicyError? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "&") }) else { return nil }
        var copy = String.UnicodeScalarView()
        copy.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars { copy.append(s == "*" ? standIn : s) }
        let parser: Parser
        let root: Node?
        do {
            parser = try Parser(yaml: String(copy), resolver: .basic)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            let found = PolicyParser.located(error)
            return PolicyError(restored(found.message), at: found.location)
        } catch {
            return PolicyError("the policy is not valid YAML: \(error)", at: .start)
        }
        guard let root else { return nil }
        // Nodes hold their anchors weakly; the parser keeps them alive.
        return withExtendedLifetime(parser) { firstAliasOrAnchor(in: root) }
    }

    /// The first alias in document order, else the first anchor.
    static func firstAliasOrAnchor(in root: Node) -> PolicyError? {
        var firstAnchor: SourceLocation?
        var pending = [root]
        while let node = pending.popLast() {
            let location = SourceLocation(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
            var anchored = false
            switch node {
            case .scalar(let scalar):
                if scalar.style == .plain && scalar.string.unicodeScalars.first == standIn {
                    return PolicyError(
                        "aliases (*name) are not allowed in a policy: write the value out (quote a string that starts with *)", at: location
                    )
                }
                anchored = scalar.anchor != nil
            case .mapping(let mapping):
                anchored = mapping.anchor != nil
                for (key, value) in mapping.reversed() { pending += [value, key] }
            case .sequence(let sequence):
                anchored = sequence.anchor != nil
                pending += sequence.reversed()
            case .alias:
                continue
            }
            if anchored && firstAnchor == nil { firstAnchor = location }
        }
        return firstAnchor.map {
            PolicyError("anchors (&name) are not allowed in a policy: write the value out (quote a string that starts with &)", at: $0)
        }
    }

    /// A message about the copy, with the stand-in shown as the `*` it replaced.
    static func restored(_ message: String) -> String {
        String(String.UnicodeScalarView(message.unicodeScalars.map { $0 == standIn ? "*" : $0 }))
    }
}
