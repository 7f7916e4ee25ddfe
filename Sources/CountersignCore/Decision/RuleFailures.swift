/// What a decision recorded of each rule it considered, by position among the action's rules:
/// -1 when the rule matched, else the id of its first condition node that failed. Kept inline
/// for the first eight rules, so recording costs no allocation for most actions.
struct RuleFailures: Sendable {
    private var first: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (-1, -1, -1, -1, -1, -1, -1, -1)
    private var rest: [Int32] = []

    init() {}

    /// Records the next position's outcome (positions are recorded in order, from 0).
    @inline(__always)
    mutating func record(_ failed: Int32, at position: Int) {
        if position < 8 {
            withUnsafeMutableBytes(of: &first) { $0.storeBytes(of: failed, toByteOffset: position * 4, as: Int32.self) }
        } else {
            rest.append(failed)
        }
    }

    /// The outcome recorded at a position.
    subscript(position: Int) -> Int32 {
        if position < 8 { return withUnsafeBytes(of: first) { $0.load(fromByteOffset: position * 4, as: Int32.self) } }
        return rest[position - 8]
    }
}
