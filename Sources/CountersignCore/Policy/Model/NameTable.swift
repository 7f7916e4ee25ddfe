/// A read-only map from names to indexes, for the one lookup every decision makes (its action).
/// Open addressing over FNV-1a of the UTF-8 bytes: no per-lookup hasher seeding, which is most
/// of what a `Dictionary<String, Int>` lookup costs for short names. Names come from the policy
/// file, not from requests, so a seedless hash is no flooding risk: a request's name is only
/// looked up, never inserted.
struct NameTable: Sendable {
    private let names: [String]
    /// Index + 1 into `names`, 0 for an empty bucket; the count is a power of two.
    private let buckets: [Int32]
    private let mask: Int

    init(_ names: [String]) {
        var capacity = 8
        while capacity < names.count * 2 { capacity *= 2 }
        var buckets = [Int32](repeating: 0, count: capacity)
        var seen = Set<String>()
        // The first of duplicate names wins, as in a dictionary built in order.
        for (i, name) in names.enumerated() where seen.insert(name).inserted {
            var b = Self.hash(name) & (capacity - 1)
            while buckets[b] != 0 { b = (b + 1) & (capacity - 1) }
            buckets[b] = Int32(i + 1)
        }
        self.names = names
        self.buckets = buckets
        self.mask = capacity - 1
    }

    /// The index of `name` in the list given, or nil.
    @inline(__always)
    func index(of name: String) -> Int? {
        var b = Self.hash(name) & mask
        while true {
            let entry = Int(buckets[b])
            if entry == 0 { return nil }
            if names[entry - 1].isExactly(name) { return entry - 1 }
            b = (b + 1) & mask
        }
    }

    @inline(__always)
    static func hash(_ name: String) -> Int {
        // Over the UTF-8 buffer: iterating the view of a small string re-reads it per byte.
        if let h = name.utf8.withContiguousStorageIfAvailable(hash(bytes:)) { return h }
        return hash(bytes: Array(name.utf8))
    }

    @inline(__always)
    static func hash<Bytes: Collection<UInt8>>(bytes: Bytes) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
