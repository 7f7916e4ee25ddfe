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

    @Test func matchesTheRFC4648TestVectors() {
        // RFC 4648 §10, in the URL-safe alphabet and without padding.
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(Array(encoded.utf8)) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode(Array("-_-_".utf8)) == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        "a", "abcde", "ab=c", "ab+c", "ab/c", "ab c", "abc\u{0}", "Zm9v\u{FF}g", "Zm9vYmF=",
        // Stray bits below the last whole byte: one byte from two characters, two from three.
        "AB", "Zh", "Zm9", "Zm9vYmF", "Zm9vYh",
    ])
    func refusesNonCanonicalText(text: String) {
        #expect(Base64URL.decode(Array(text.utf8)) == nil)
    }

    @Test func decodesNonContiguousCollections() {
        let text = "Zm9vYmFy".utf8.reversed().reversed()
        #expect(Base64URL.decode(text) == Array("foobar".utf8))
    }

    @Test func constantTimeEqualityComparesWholeValues() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 3]))
    }
}
