/// What a decision recorded of each rule it considered, by position among the action's rules:
/// -1 when the rule matched, else the id of its first condition node that failed. The first
/// sixteen are kept inline as 16-bit ids, so recording costs no allocation for most actions;
/// past that, or for an id beyond 16 bits, every position is kept in `spilled`.
struct RuleFailures: Sendable {
    private var inline: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Empty while every position is inline.
    private var spilled: [Int32] = []

    init() {}

    /// Records the next position's outcome (positions are recorded in order, from 0).
    @inline(__always)
    mutating func record(_ failed: Int32, at position: Int) {
        if spilled.isEmpty, position < 16, let narrow = Int16(exactly: failed) {
            withUnsafeMutableBytes(of: &inline) { $0.storeBytes(of: narrow, toByteOffset: position * 2, as: Int16.self) }
        } else {
            spill(failed, at: position)
        }
    }

    @inline(never)
    private mutating func spill(_ failed: Int32, at position: Int) {
        if spilled.isEmpty {
            spilled = (0..<position).map { self[$0] }
        }
        spilled.append(failed)
    }

    /// The outcome recorded at a position.
    subscript(position: Int) -> Int32 {
        if spilled.isEmpty {
            return Int32(withUnsafeBytes(of: inline) { $0.load(fromByteOffset: position * 2, as: Int16.self) })
        }
        return spilled[position]
    }
}
