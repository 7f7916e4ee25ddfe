/// base64url without padding (RFC 4648 §5, as JOSE uses it).
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The bytes in base64url without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return text }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    /// Three bytes at a time into four characters, straight into the string's storage.
    static func encode(buffer input: UnsafeBufferPointer<UInt8>) -> String {
        let count = input.count
        let length = count / 3 * 4 + [0, 2, 3][count % 3]
        if length == 0 { return "" }
        return alphabet.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: length) { out in
                var i = 0
                var o = 0
                while i + 3 <= count {
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    out[o] = table[Int(n >> 18)]
                    out[o + 1] = table[Int(n >> 12 & 0x3F)]
                    out[o + 2] = table[Int(n >> 6 & 0x3F)]
                    out[o + 3] = table[Int(n & 0x3F)]
                    i += 3
                    o += 4
                }
                switch count - i {
                case 1:
                    let n = UInt32(input[i]) << 16
                    out[o] = table[Int(n >> 18)]
                    out[o + 1] = table[Int(n >> 12 & 0x3F)]
                case 2:
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                    out[o] = table[Int(n >> 18)]
                    out[o + 1] = table[Int(n >> 12 & 0x3F)]
                    out[o + 2] = table[Int(n >> 6 & 0x3F)]
                default: break
                }
                return length
            }
        }
    }

    /// Strict decoding: only the URL-safe alphabet, no padding, no stray bits.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        if let bytes = text.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return bytes }
        return Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Four characters at a time into three bytes; any byte outside the alphabet (the table
    /// maps it to 0xFF, which survives the OR) or a non-zero leftover bit refuses the input.
    static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        let tail = count % 4
        if tail == 1 { return nil }
        let length = count / 4 * 3 + (tail == 0 ? 0 : tail - 1)
        return reverse.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let out = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
                var i = 0
                var o = 0
                var bad: UInt8 = 0
                while i + 4 <= count {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                    bad |= a | b | c | d
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: n >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: n >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: n)
                    i += 4
                    o += 3
                }
                if tail >= 2 {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = tail == 3 ? table[Int(input[i + 2])] : 0
                    bad |= a | b | c
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                    out[o] = UInt8(truncatingIfNeeded: n >> 16)
                    if tail == 3 { out[o + 1] = UInt8(truncatingIfNeeded: n >> 8) }
                    // The bits below the last whole byte must be zero (RFC 4648 §3.5).
                    if bad & 0x80 == 0 && (tail == 2 ? n & 0xFFFF : n & 0xFF) != 0 { bad = 0xFF }
                }
                initialized = length
                valid = bad & 0x80 == 0
            }
            return valid ? out : nil
        }
    }
}
