import CountersignCore
import NIOConcurrencyHelpers

/// The sequence numbers of the `approval.*` events this process committed, kept only while the
/// approval feed is followed (`SQLiteStore.followApprovalChanges`), so the follower can tell its
/// own changes (already told to its listeners at once) from other processes' changes.
final class OwnApprovalEvents: Sendable {
    struct State {
        var following = false
        var seqs: Set<Int64> = []
    }

    /// More than this many unread entries means nobody reads them: they are dropped (at worst a
    /// listener hears of a change twice).
    static let limit = 100_000
    let state = NIOLockedValueBox(State())

    func follow() {
        state.withLockedValue { $0.following = true }
    }

    func remember(_ events: [SealedRecord]) {
        state.withLockedValue { state in
            guard state.following else { return }
            if state.seqs.count > Self.limit { state.seqs.removeAll() }
            for event in events where event.type.hasPrefix("approval.") { state.seqs.insert(event.seq) }
        }
    }

    func forget(_ events: [SealedRecord]) {
        state.withLockedValue { state in
            for event in events { state.seqs.remove(event.seq) }
        }
    }

    /// Whether `seq` was committed here; entries up to `upTo` are read once and then forgotten.
    func take(_ seqs: [Int64], upTo: Int64) -> Set<Int64> {
        state.withLockedValue { state in
            let mine = Set(seqs).intersection(state.seqs)
            state.seqs = state.seqs.filter { $0 > upTo }
            return mine
        }
    }
}
