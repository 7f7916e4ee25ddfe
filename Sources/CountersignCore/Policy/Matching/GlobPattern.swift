/// A glob for resource patterns (`https://api.example.com/payments/*`) and the `glob` operator.
///
/// The whole text must match. `*` matches any run of scalars except `/` (within one path
/// segment), `**` any run including `/`, `?` exactly one scalar except `/`, and `\` makes the
/// next scalar literal (`\*` is a star). Everything else is literal, compared by Unicode scalar
/// exactly: no case folding, no normalisation. `**` is only a run of characters, with no
/// special treatment of the slashes around it: `a/**/b` needs at least `a//b` and does not
/// match `a/b`, and `payments/**` matches `payments/` but not `payments`.
///
/// Matching simulates the pattern as an NFA, so it costs O(pattern × text) time and
/// O(pattern) space whatever the stars: no input can make it exponential.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    /// The longest pattern accepted, in Unicode scalars.
    public static let maxPatternLength = 1024

    /// The pattern as written.
    public let pattern: String
    private let tokens: [GlobToken]
    /// How many tokens from the start are literals: compared directly, before the NFA runs.
    private let literalPrefix: Int

    /// Parses `pattern`, refusing one that is too long, has three or more stars in a row or
    /// ends with a lone backslash.
    public init(_ pattern: String) throws(GlobPatternError) {
        let scalars = Array(pattern.unicodeScalars)
        guard scalars.count <= Self.maxPatternLength else {
            throw GlobPatternError(
                message: "the pattern is longer than \(Self.maxPatternLength) characters: shorten it",
                offset: Self.maxPatternLength)
        }
        var tokens: [GlobToken] = []
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            switch c {
            case "\\":
                guard index + 1 < scalars.count else {
                    throw GlobPatternError(message: "trailing backslash: write \\\\ for a literal backslash", offset: index)
                }
                tokens.append(.literal(scalars[index + 1]))
                index += 2
            case "*":
                var run = 1
                while index + run < scalars.count, scalars[index + run] == "*" { run += 1 }
                // A third star has no meaning of its own; refusing it catches typos early.
                guard run <= 2 else {
                    throw GlobPatternError(
                        message:
                            "three or more stars in a row have no meaning: use * within one path segment or ** across segments, or \\* for a literal star",
                        offset: index)
                }
                tokens.append(run == 2 ? .anyRun : .segmentRun)
                index += run
            case "?":
                tokens.append(.one)
                index += 1
            default:
                tokens.append(.literal(c))
                index += 1
            }
        }
        self.pattern = pattern
        self.tokens = tokens
        literalPrefix = tokens.prefix { if case .literal = $0 { true } else { false } }.count
    }

    /// True when the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        var scalars = text.unicodeScalars.makeIterator()
        // A resource pattern is mostly its literal start (`https://api.example.com/payments/`):
        // compared scalar by scalar; the NFA runs on what follows it.
        for k in 0..<literalPrefix {
            guard let scalar = scalars.next(), case .literal(let literal) = tokens[k], literal == scalar else { return false }
        }
        let first = literalPrefix
        // active[k]: some prefix of the text read so far leaves the NFA before token k
        // (k == tokens.count means after the last token, i.e. accepting). Moves only go
        // forward, so no state before `first` is ever active again.
        var active = [Bool](repeating: false, count: tokens.count + 1)
        var next = active
        active[first] = true
        closeOverStars(&active, from: first)
        while let scalar = scalars.next() {
            for k in first..<next.count { next[k] = false }
            var alive = false
            for k in first..<tokens.count where active[k] {
                switch tokens[k] {
                case .literal(let literal):
                    if literal == scalar { next[k + 1] = true; alive = true }
                case .one:
                    if scalar != "/" { next[k + 1] = true; alive = true }
                case .segmentRun:
                    if scalar != "/" { next[k] = true; alive = true }
                case .anyRun:
                    next[k] = true
                    alive = true
                }
            }
            guard alive else { return false }
            closeOverStars(&next, from: first)
            swap(&active, &next)
        }
        return active[tokens.count]
    }

    /// A star may match nothing, so being before it also means being after it. Those moves
    /// only go forward, so one pass in order reaches everything.
    private func closeOverStars(_ states: inout [Bool], from first: Int) {
        for k in first..<tokens.count where states[k] {
            switch tokens[k] {
            case .segmentRun, .anyRun: states[k + 1] = true
            case .literal, .one: break
            }
        }
    }

    /// The pattern as written.
    public var description: String { pattern }

    /// Two globs are equal when their patterns are.
    public static func == (lhs: GlobPattern, rhs: GlobPattern) -> Bool { lhs.pattern == rhs.pattern }

    /// Hashes the pattern only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

/// Why a glob was refused: what is wrong and how to fix it, and where.
public struct GlobPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public let message: String
    /// Where in the pattern, counted in Unicode scalars from 0.
    public let offset: Int
    /// The message.
    public var description: String { message }
}

private enum GlobToken: Sendable {
    case literal(Unicode.Scalar)
    /// `?`: one scalar other than `/`.
    case one
    /// `*`: any run of scalars other than `/`.
    case segmentRun
    /// `**`: any run of scalars.
    case anyRun
}
