/// Comparison whose running time depends only on the lengths, never on where bytes differ
/// (RFC 6819 §5.1.4.1.3, HOSTILE-TESTS 1).
public enum ConstantTime {
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}
