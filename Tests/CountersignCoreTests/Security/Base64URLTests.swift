import CountersignCore
import Testing

@Suite struct Base64URLTests {
    @Test(arguments: 0..<40)
    func roundTrips(length: Int) {
        let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
        let text = Base64URL.encode(bytes)
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(Base64URL.decode(Array(text.utf8)) == bytes)
    }

    @Test(arguments: ["a", "ab=c", "ab+c", "ab/c", "ab c", "AB"])
    func refusesNonCanonicalText(text: String) {
        // "AB" decodes to one byte with stray bits set.
        #expect(Base64URL.decode(Array(text.utf8)) == nil)
    }

    @Test func constantTimeEqualityComparesWholeValues() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 3]))
    }
}
