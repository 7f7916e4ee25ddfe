/// A position in a policy file (1-based line and column), carried by every policy element so
/// errors and explanations can point at the text that caused them.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int

    /// A position in the file.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The first position in the file, for elements built without one.
    public static let start = SourceLocation(line: 1, column: 1)
    /// The position as errors print it: `LINE:COL`.
    public var description: String { "\(line):\(column)" }
}
