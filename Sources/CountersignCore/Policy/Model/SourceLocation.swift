/// A position in a policy file (1-based line and column), carried by every policy element so
/// errors and explanations can point at the text that caused them.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = SourceLocation(line: 1, column: 1)
    public var description: String { "\(line):\(column)" }
}
