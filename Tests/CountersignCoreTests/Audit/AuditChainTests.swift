import CountersignCore
import Crypto
import Testing

@Suite struct AuditChainTests {
    static func chain(_ n: Int) -> [AuditEvent] {
        var events: [AuditEvent] = []
        var previous = AuditEvent.genesisHash
        for i in 1...n {
            let event = AuditEvent.sealed(
                seq: Int64(i), time: Instant(millisecondsSince1970: 1_700_000_000_000 + Int64(i)),
                record: AuditRecord(type: "token.issued", actor: "client:c", data: ["jti": .string("j\(i)")]),
                previousHash: previous)
            previous = event.hash
            events.append(event)
        }
        return events
    }

    static func firstBreak(_ events: [AuditEvent]) -> AuditChainVerifier.Break? {
        var verifier = AuditChainVerifier()
        for event in events {
            do { try verifier.check(event) } catch { return error }
        }
        return nil
    }

    @Test(arguments: [Int64(1), 9_007_199_254_740_993])
    func theHashedBytesAreTheCanonicalFormOfTheEventWithoutItsHash(seq: Int64) throws {
        // A hand-written member order must match RFC 8785 exactly, or old chains stop verifying.
        let data = try JSONParser().parse(#"{"\u00e9":1.0,"a\"b":[1e2,"\n"],"Z":{"y":null,"x":true}}"#)
        let event = AuditEvent.sealed(
            seq: seq, time: Instant(millisecondsSince1970: 1_700_000_000_123),
            record: AuditRecord(type: "décision", actor: "client:\u{1F600}", data: data.objectValue ?? [:]),
            previousHash: AuditEvent.genesisHash)
        guard case .object(var members) = event.json else {
            Issue.record("not an object")
            return
        }
        members["hash"] = nil
        #expect(event.canonicalBytes == CanonicalJSON.bytes(.object(members)))
    }

    @Test func aSealedHashIsTheHashOfTheEventsOwnFieldsEvenAfterTheRecordChanged() throws {
        // The record serialises its data once; the seal must still cover exactly the event's
        // fields, also when the data was edited after the record was made.
        let data = try JSONParser().parse(#"{"n":1e2,"x":[100.0000000000000001,-0],"o":{"b":1,"a":"\u00e9"}}"#)
        var record = AuditRecord(type: "decision", actor: "client:c", data: data.objectValue ?? [:])
        record.data["later"] = .string("added")
        let event = AuditEvent.sealed(seq: 7, time: Instant(millisecondsSince1970: 1), record: record, previousHash: AuditEvent.genesisHash)
        #expect(event.data["later"] == .string("added"))
        #expect(event.hash == event.computedHash)
        #expect(record.storedData == CanonicalJSON.exactString(.object(record.data)))
        #expect(record.storedData.contains("100.0000000000000001"))
    }

    @Test func anUntouchedChainVerifies() {
        #expect(Self.firstBreak(Self.chain(10)) == nil)
    }

    @Test func anEditedEventIsNamed() {
        var events = Self.chain(5)
        events[2].data["jti"] = "forged"
        #expect(Self.firstBreak(events)?.seq == 3)
        #expect(Self.firstBreak(events)?.reason.contains("edited") == true)
    }

    @Test func aDeletedEventIsNamed() {
        var events = Self.chain(5)
        events.remove(at: 1)
        #expect(Self.firstBreak(events)?.seq == 2)
    }

    @Test func reorderedEventsAreNamed() {
        var events = Self.chain(5)
        events.swapAt(1, 2)
        #expect(Self.firstBreak(events)?.seq == 2)
        #expect(Self.firstBreak(events)?.reason.contains("missing") == true)
    }

    @Test func anInsertedEventIsNamed() {
        var events = Self.chain(5)
        var inserted = events[2]
        inserted.seq = 3
        inserted.data["jti"] = "extra"
        inserted.hash = inserted.computedHash
        events.insert(inserted, at: 2)
        // The forged event links correctly; the genuine third event then collides with it.
        #expect(Self.firstBreak(events)?.seq == 3)
    }

    @Test func aRewrittenAndRehashedEventBreaksTheNextLink() {
        var events = Self.chain(5)
        events[1].data["jti"] = "forged"
        events[1].hash = events[1].computedHash
        #expect(Self.firstBreak(events)?.seq == 3)
    }

    @Test func theExportFormRoundTrips() throws {
        let event = Self.chain(1)[0]
        let text = CanonicalJSON.string(event.json)
        let back = AuditEvent(json: try JSONParser().parse(text))
        #expect(back == event)
        #expect(back?.computedHash == event.hash)
    }

    @Test func headSignaturesNeedTheServerKey() {
        let key = SymmetricKey(size: .bits256)
        let head = AuditHead.signed(seq: 5, hash: "ab", time: Instant(millisecondsSince1970: 1), serverKey: key)
        #expect(head.hasValidSignature(serverKey: key))
        #expect(!head.hasValidSignature(serverKey: SymmetricKey(size: .bits256)))
        var moved = head
        moved.seq = 4
        #expect(!moved.hasValidSignature(serverKey: key))
    }
}
