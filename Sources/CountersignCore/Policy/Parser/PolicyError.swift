/// A problem in a policy file, at a line and column, saying how to fix it.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }

    /// `FILE:LINE:COL: message`, the form editors and CI logs link to.
    public func located(in file: String) -> String { "\(file):\(location.line):\(location.column): \(message)" }
}

/// Every problem found in a policy file (the parser goes on after the first, so one run
/// shows them all), in file order.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let errors: [PolicyError]

    public init(file: String, errors: [PolicyError]) {
        self.file = file
        self.errors = errors.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    public var description: String { errors.map { $0.located(in: file) }.joined(separator: "\n") }
}
