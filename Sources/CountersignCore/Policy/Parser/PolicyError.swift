/// A problem in a policy file, at a line and column, saying how to fix it.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is.
    public let location: SourceLocation
    /// What is wrong and how to fix it.
    public let message: String

    /// An error at `location`; control characters in `message` are escaped.
    public init(_ message: String, at location: SourceLocation) {
        // Names from the file are echoed in messages: no line breaks or other controls, so a
        // name cannot forge a second FILE:LINE:COL line.
        self.message = String(
            String.UnicodeScalarView(
                message.unicodeScalars.flatMap { s -> [Unicode.Scalar] in
                    s.value < 0x20 || s.value == 0x7F || s == "\u{2028}" || s == "\u{2029}"
                        ? Array("\\u{\(String(s.value, radix: 16))}".unicodeScalars) : [s]
                }))
        self.location = location
    }

    /// The error as `LINE:COL: message`.
    public var description: String { "\(location): \(message)" }

    /// `FILE:LINE:COL: message`, the form editors and CI logs link to.
    public func located(in file: String) -> String { "\(file):\(location.line):\(location.column): \(message)" }
}

/// Every problem found in a policy file (the parser goes on after the first, so one run
/// shows them all), in file order; two at one position in the order of their messages.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    /// The policy file's path, as messages print it.
    public let file: String
    /// The problems, in file order.
    public let errors: [PolicyError]

    /// The problems of `file`, sorted by position and then message.
    public init(file: String, errors: [PolicyError]) {
        self.file = file
        self.errors = errors.sorted {
            ($0.location.line, $0.location.column, $0.message) < ($1.location.line, $1.location.column, $1.message)
        }
    }

    /// One `FILE:LINE:COL: message` line per problem (docs/POLICY.md §10).
    public var description: String { errors.map { $0.located(in: file) }.joined(separator: "\n") }
}
