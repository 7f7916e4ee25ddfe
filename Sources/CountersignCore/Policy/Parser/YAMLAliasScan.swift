/// Finds the first YAML alias (`*name`) in a document without parsing it. Yams resolves
/// aliases while composing, and its duplicate-key check hashes whole aliased subtrees, so an
/// alias bomb (`? *l9`) costs time before any node reaches the parser's own checks. Policies
/// never need aliases, so any alias refuses the file, found here in one linear pass.
///
/// An alias starts a node: at the start of a line, or after `- `, `: `, `? `, `[`, `{` or `,`,
/// outside quoted scalars, comments and block scalars. A `*` inside a plain scalar
/// (`reason: a *b*`) is text, not an alias.
enum YAMLAliasScan {
    static func firstAlias(in text: String) -> SourceLocation? {
        var line = 1
        var column = 0
        var lineIndent = 0
        var atLineStart = true
        var inSingle = false
        var inDouble = false
        var previous: UInt8?  // the last significant byte on this line, outside quotes
        var spaceSincePrevious = false
        var blockIndent: Int?  // inside a block scalar begun on a line with this indentation
        var skipRestOfLine = false
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 0
                lineIndent = 0
                atLineStart = true
                previous = nil
                spaceSincePrevious = false
                skipRestOfLine = false
                continue
            }
            if b & 0xC0 != 0x80 { column += 1 }
            if atLineStart {
                if b == UInt8(ascii: " ") {
                    lineIndent += 1
                    continue
                }
                atLineStart = false
                if let indent = blockIndent {
                    if lineIndent > indent { skipRestOfLine = true } else { blockIndent = nil }
                }
            }
            if skipRestOfLine { continue }
            if inDouble {
                if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inDouble = false }
                continue
            }
            if inSingle {
                if b == UInt8(ascii: "'") {
                    if i < bytes.count && bytes[i] == UInt8(ascii: "'") { i += 1 } else { inSingle = false }
                }
                continue
            }
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") {
                spaceSincePrevious = true
                continue
            }
            if b == UInt8(ascii: "#") && (previous == nil || spaceSincePrevious) {
                skipRestOfLine = true
                continue
            }
            let nodeStart: Bool
            switch previous {
            case nil: nodeStart = true
            case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","): nodeStart = true
            case UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "?"): nodeStart = spaceSincePrevious
            default: nodeStart = false
            }
            if nodeStart {
                switch b {
                case UInt8(ascii: "*"): return SourceLocation(line: line, column: column)
                case UInt8(ascii: "\""): inDouble = true
                case UInt8(ascii: "'"): inSingle = true
                case UInt8(ascii: "|"), UInt8(ascii: ">"): blockIndent = lineIndent
                default: break
                }
            }
            previous = b
            spaceSincePrevious = false
        }
        return nil
    }
}
