import CountersignCore

/// Writes JSON objects with members in the given order (responses read better that way);
/// strings are escaped as RFC 8785 does; numbers are written exactly as they were received.
public enum JSONWriter {
    /// The object's bytes, members in the order given.
    public static func object(_ members: [(String, JSONValue)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(512)
        for (i, (key, value)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            CanonicalJSON.write(value, into: &out, exactNumbers: true)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
