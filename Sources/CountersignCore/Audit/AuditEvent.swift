import Crypto

/// One entry of the tamper-evident audit log: what happened, who did it, and the link to the
/// event before it. The hash covers the RFC 8785 canonical bytes of every field but `hash`.
///
/// No token, secret or key is ever put in `data`: a token is recorded by its `jti`.
public struct AuditEvent: Sendable, Equatable {
    /// Position in the chain, 1 for the first event, without gaps.
    public var seq: Int64
    /// When the event was appended (written as milliseconds since 1970 in `time`).
    public var time: Instant
    /// What happened, for example `token.issued` (see docs/events.md).
    public var type: String
    /// Who caused it: `client:ID`, `cli`, `server`, `signal:SIGHUP`.
    public var actor: String
    /// The event's facts.
    public var data: [String: JSONValue]
    /// The hash of the event before, 64 zeros for the first.
    public var previousHash: String
    /// Hex SHA-256 of `canonicalBytes`.
    public var hash: String

    /// An event as the store reads it back, its hash still to be checked (`AuditChainVerifier`).
    public init(
        seq: Int64, time: Instant, type: String, actor: String, data: [String: JSONValue],
        previousHash: String, hash: String
    ) {
        self.seq = seq
        self.time = time
        self.type = type
        self.actor = actor
        self.data = data
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The previous-hash of the first event.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The event as a JSON object, including its hash (the export format).
    public var json: JSONValue {
        var members = hashedMembers
        members["hash"] = .string(hash)
        return .object(members)
    }

    var hashedMembers: [String: JSONValue] {
        [
            "seq": .number(JSONNumber(seq)),
            "time": .number(JSONNumber(time.millisecondsSince1970)),
            "type": .string(type),
            "actor": .string(actor),
            "data": .object(data),
            "prev_hash": .string(previousHash),
        ]
    }

    /// The bytes the hash covers: the RFC 8785 form of `hashedMembers`, written member by
    /// member in their canonical order (actor, data, prev_hash, seq, time, type) without
    /// building and sorting the outer object on every append.
    public var canonicalBytes: [UInt8] {
        Self.canonicalBytes(
            actor: actor, data: CanonicalJSON.bytes(.object(data)), previousHash: previousHash, seq: seq,
            time: time, type: type)
    }

    /// The hashed bytes around `data` already in its RFC 8785 form.
    static func canonicalBytes(
        actor: String, data: [UInt8], previousHash: String, seq: Int64, time: Instant, type: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 192)
        out.append(contentsOf: #"{"actor":"#.utf8)
        CanonicalJSON.writeString(actor, into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: #","prev_hash":"#.utf8)
        CanonicalJSON.writeString(previousHash, into: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        CanonicalJSON.write(.number(JSONNumber(seq)), into: &out)
        out.append(contentsOf: #","time":"#.utf8)
        CanonicalJSON.write(.number(JSONNumber(time.millisecondsSince1970)), into: &out)
        out.append(contentsOf: #","type":"#.utf8)
        CanonicalJSON.writeString(type, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The hash this event's fields call for.
    public var computedHash: String { Self.hexSHA256(canonicalBytes) }

    /// Builds the next event of a chain and computes its hash, from the record's data already
    /// in canonical form (worked out where the record was made, not by the chain's one writer).
    public static func sealed(
        seq: Int64, time: Instant, record: AuditRecord, previousHash: String
    ) -> AuditEvent {
        let hash = SealedRecord(seq: seq, time: time, record: record, previousHash: previousHash).hash
        return AuditEvent(
            seq: seq, time: time, type: record.type, actor: record.actor, data: record.data,
            previousHash: previousHash, hash: hash)
    }

    /// Reads an event back from its export form.
    public init?(json: JSONValue) {
        guard case .object(let o) = json,
            let seq = o["seq"]?.int64Value, let millis = o["time"]?.int64Value,
            let type = o["type"]?.stringValue, let actor = o["actor"]?.stringValue,
            let data = o["data"]?.objectValue, let prev = o["prev_hash"]?.stringValue,
            let hash = o["hash"]?.stringValue
        else { return nil }
        self.init(
            seq: seq, time: Instant(millisecondsSince1970: millis), type: type, actor: actor, data: data, previousHash: prev, hash: hash)
    }

    static func hexSHA256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hexString
    }
}

/// What a state change asks the audit log to record; the log gives it a place in the chain.
///
/// Its data is serialised once, where the record is made (on the request's own task), in both
/// forms the log needs: the RFC 8785 bytes the hash covers and the stored text. The chain's
/// single writer then only concatenates and hashes.
public struct AuditRecord: Sendable, Equatable {
    /// What happened (docs/events.md).
    public var type: String
    /// Who caused it: `client:ID`, `cli`, `server`, `signal:SIGHUP`.
    public var actor: String
    /// The event's facts. A record made with rendered members reads them back from its stored
    /// text when asked (the hot path never asks).
    public var data: [String: JSONValue] {
        get {
            if let object { return object }
            return (try? JSONParser(maxDepth: 64).parse(storedData))?.objectValue ?? [:]
        }
        set {
            object = newValue
            (canonicalData, storedData) = Self.encode(newValue, rendered: [])
        }
    }
    /// `data` as given; nil when some members came rendered.
    private var object: [String: JSONValue]?
    /// RFC 8785 bytes of `data`: what the event's hash covers.
    public private(set) var canonicalData: [UInt8]
    /// `data` as the store keeps it: canonical member order, every number as it was written.
    public private(set) var storedData: String

    /// A record of these facts, encoded once here so that the writer only hashes.
    public init(type: String, actor: String, data: [String: JSONValue]) {
        self.type = type
        self.actor = actor
        self.object = data
        (canonicalData, storedData) = Self.encode(data, rendered: [])
    }

    /// A record whose data is `data` plus members already written in their RFC 8785 form
    /// (numbers canonical, so the same bytes serve as stored text), such as a decision's
    /// explanation written by `Explanation.writeCanonicalJSON`. A rendered member replaces a
    /// member of `data` with its name.
    public init(type: String, actor: String, data: [String: JSONValue], rendered: [(name: String, json: [UInt8])]) {
        self.type = type
        self.actor = actor
        self.object = rendered.isEmpty ? data : nil
        (canonicalData, storedData) = Self.encode(data, rendered: rendered)
    }

    /// Equal when type, actor and stored data are: what the chain would record.
    public static func == (a: AuditRecord, b: AuditRecord) -> Bool {
        a.type == b.type && a.actor == b.actor && a.storedData == b.storedData
    }

    static func encode(_ data: [String: JSONValue], rendered: [(name: String, json: [UInt8])]) -> ([UInt8], String) {
        let (exact, canonical) = CanonicalJSON.exactAndCanonical(object: data, rendered: rendered)
        return (canonical, exact)
    }
}

/// A record given its place in the chain: what the chain's writer stores, with the hash of the
/// event it makes (the same as `AuditEvent.sealed`'s), without reading the record's data back.
public struct SealedRecord: Sendable {
    /// Its position in the chain.
    public let seq: Int64
    /// When it was appended.
    public let time: Instant
    /// What happened.
    public let type: String
    /// Who caused it.
    public let actor: String
    /// The record's data as the store keeps it.
    public let storedData: String
    /// The hash of the event before.
    public let previousHash: String
    /// Hex SHA-256 of the event's RFC 8785 canonical bytes.
    public let hash: String

    /// The record placed at `seq` after the event hashed `previousHash`, and hashed.
    public init(seq: Int64, time: Instant, record: AuditRecord, previousHash: String) {
        self.seq = seq
        self.time = time
        self.type = record.type
        self.actor = record.actor
        self.storedData = record.storedData
        self.previousHash = previousHash
        let bytes = AuditEvent.canonicalBytes(
            actor: record.actor, data: record.canonicalData, previousHash: previousHash, seq: seq,
            time: time, type: record.type)
        self.hash = AuditEvent.hexSHA256(bytes)
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hexString: String {
        let bytes = Array(self)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            var i = 0
            for b in bytes {
                out[i] = digits.utf8Start[Int(b >> 4)]
                out[i + 1] = digits.utf8Start[Int(b & 0xF)]
                i += 2
            }
            return i
        }
    }
}
