/// A policy's conditions compiled at load for deciding. Per action, the condition trees of its
/// rules are laid out one after the other as plain steps in one buffer, and the attributes they
/// read are numbered per action. A decision walks plain memory (no enum boxes, no reference
/// counts), compares numbers against bounds stored in the step, and reads each attribute at
/// most once into a slot on the stack that is set up only when first read.
///
/// Built once per `Policy` and immutable afterwards, so one instance serves every request.
final class DecisionProgram: @unchecked Sendable {
    /// One node of a condition tree. A node's subtree is `steps[index..<end]`, the node first.
    struct Step {
        enum Kind: UInt8 {
            /// No `when`: holds.
            case always
            case all, any, not
            /// Any test, applied by its `Operator` (`tests[test]`).
            case test
            /// A number bound, compared here; a value that is not a number goes to `Operator`.
            case lt, lte, gt, gte
        }
        var kind: Kind
        /// The node id reported when this node is the first to fail.
        var id: Int32
        /// One past the last step of this node's subtree.
        var end: Int32
        /// Tests: the action's attribute slot, and the index of the test in `tests`.
        var slot: Int32
        var test: Int32
        /// `lt`, `lte`, `gt`, `gte`: the bound.
        var bound: ExactDecimal
    }

    /// What a decision needs about one action.
    struct ActionPlan: Sendable {
        /// The action's rules (indexes into `Policy.rules`), in file order.
        let considered: [Int]
        /// The first step of the first rule; each rule's tree ends where the next one starts.
        let firstStep: Int
        /// The action's attributes are `reads[firstRead ..< firstRead + slotCount]`.
        let firstRead: Int
        let slotCount: Int
    }

    /// Where one attribute is read from in a request.
    struct Read: Sendable {
        let source: Attribute.Source
        let key: String
        let subpath: [String]?
    }

    let plans: [ActionPlan]
    let steps: UnsafeMutableBufferPointer<Step>
    /// Every test node, for the operators compared outside the steps.
    let tests: [ConditionTest]
    let reads: UnsafeMutableBufferPointer<Read>
    /// Per rule, its requirements when it is the only rule that matches (nil for deny rules).
    let lone: [Requirements?]

    /// Compiles the conditions (`conditions[r]` is rule r's) of each action's rules.
    init(rules: [Rule], rulesByAction: [[Int]], conditions: [Condition]) {
        lone = rules.map(Combination.requirements(ofLone:))
        var plans: [ActionPlan] = []
        var steps: [Step] = []
        var tests: [ConditionTest] = []
        var reads: [Read] = []
        plans.reserveCapacity(rulesByAction.count)
        let noBound = ExactDecimal(0)
        for ruleIndexes in rulesByAction {
            let firstStep = steps.count
            let firstRead = reads.count
            var localSlot: [Int: Int32] = [:]
            func compile(_ condition: Condition) {
                let at = steps.count
                switch condition {
                case .always:
                    steps.append(Step(kind: .always, id: -1, end: 0, slot: 0, test: 0, bound: noBound))
                case .test(let t):
                    let slot: Int32
                    if let s = localSlot[t.slot] {
                        slot = s
                    } else {
                        slot = Int32(reads.count - firstRead)
                        localSlot[t.slot] = slot
                        reads.append(Read(source: t.source, key: t.key, subpath: t.subpath))
                    }
                    var kind = Step.Kind.test
                    var bound = noBound
                    switch t.op {
                    case .lt(let b): (kind, bound) = (.lt, b)
                    case .lte(let b): (kind, bound) = (.lte, b)
                    case .gt(let b): (kind, bound) = (.gt, b)
                    case .gte(let b): (kind, bound) = (.gte, b)
                    default: break
                    }
                    steps.append(Step(kind: kind, id: Int32(t.id), end: 0, slot: slot, test: Int32(tests.count), bound: bound))
                    tests.append(t)
                case .all(let members, let id), .any(let members, let id):
                    let kind: Step.Kind = if case .all = condition { .all } else { .any }
                    steps.append(Step(kind: kind, id: Int32(id), end: 0, slot: 0, test: 0, bound: noBound))
                    for member in members { compile(member) }
                case .not(let inner, let id):
                    steps.append(Step(kind: .not, id: Int32(id), end: 0, slot: 0, test: 0, bound: noBound))
                    compile(inner)
                }
                steps[at].end = Int32(steps.count)
            }
            for r in ruleIndexes { compile(conditions[r]) }
            plans.append(
                ActionPlan(considered: ruleIndexes, firstStep: firstStep, firstRead: firstRead, slotCount: reads.count - firstRead))
        }
        let buffer = UnsafeMutableBufferPointer<Step>.allocate(capacity: max(steps.count, 1))
        _ = buffer.initialize(from: steps)
        let readBuffer = UnsafeMutableBufferPointer<Read>.allocate(capacity: max(reads.count, 1))
        _ = readBuffer.initialize(from: reads)
        self.plans = plans
        self.steps = buffer
        self.tests = tests
        self.reads = readBuffer
        self.readCount = reads.count
    }

    private let readCount: Int

    deinit {
        steps.deallocate()
        reads.baseAddress!.deinitialize(count: readCount)
        reads.deallocate()
    }
}

/// The attributes one decision has read, on the stack: slot i is set up on its first read. Up to
/// 64 slots are tracked by a bit each and left untouched until read; beyond that every slot is
/// set up front.
struct SlotCache {
    let base: UnsafeMutablePointer<AttributeSlot>
    let count: Int
    /// Bit i: slot i holds a value (when `count <= 64`).
    var filled: UInt64 = 0

    init(_ base: UnsafeMutablePointer<AttributeSlot>, count: Int) {
        self.base = base
        self.count = count
        if count > 64 { base.initialize(repeating: AttributeSlot(), count: count) }
    }

    /// Slot i, read from the request on first use.
    @inline(__always)
    mutating func slot(
        _ i: Int, _ request: DecisionRequest, _ reads: UnsafeMutablePointer<DecisionProgram.Read>
    ) -> UnsafeMutablePointer<AttributeSlot> {
        let p = base + i
        if count <= 64 {
            if filled & (1 << UInt64(i)) == 0 {
                p.initialize(to: AttributeSlot(isRead: true, value: request.value(reads[i].source, reads[i].key, reads[i].subpath)))
                filled |= 1 << UInt64(i)
            }
        } else if !p.pointee.isRead {
            p.pointee.value = request.value(reads[i].source, reads[i].key, reads[i].subpath)
            p.pointee.isRead = true
        }
        return p
    }

    /// Releases what the slots hold.
    func clear() {
        if count > 64 {
            base.deinitialize(count: count)
            return
        }
        var bits = filled
        while bits != 0 {
            (base + bits.trailingZeroBitCount).deinitialize(count: 1)
            bits &= bits - 1
        }
    }
}

extension DecisionProgram {
    /// -1 when the subtree at `i` holds, else the id of its first node that fails.
    @inline(__always)
    func evaluate(
        _ i: Int, _ request: DecisionRequest, _ slots: inout SlotCache, _ reads: UnsafeMutablePointer<Read>
    ) throws(DecisionError) -> Int32 {
        let step = steps.baseAddress! + i
        switch step.pointee.kind {
        case .lt, .lte, .gt, .gte:
            let slot = slots.slot(Int(step.pointee.slot), request, reads)
            if case .value(.number(let n)) = slot.pointee.value {
                let holds: Bool
                switch step.pointee.kind {
                case .lt: holds = n < step.pointee.bound
                case .lte: holds = !(step.pointee.bound < n)
                case .gt: holds = step.pointee.bound < n
                default: holds = !(n < step.pointee.bound)
                }
                return holds ? -1 : step.pointee.id
            }
            return try test(step, slot)
        case .test:
            return try test(step, slots.slot(Int(step.pointee.slot), request, reads))
        case .always:
            return -1
        default:
            return try evaluateComposite(i, request, &slots, reads)
        }
    }

    /// A test by its operator: anything but a number against a bound, and every type error.
    @inline(never)
    func test(_ step: UnsafeMutablePointer<Step>, _ slot: UnsafeMutablePointer<AttributeSlot>) throws(DecisionError) -> Int32 {
        let test = tests[Int(step.pointee.test)]
        return try test.op.test(&slot.pointee, test) ? -1 : step.pointee.id
    }

    /// `all`, `any` and `not`: members in order, stopping at the first that decides.
    @inline(never)
    func evaluateComposite(
        _ i: Int, _ request: DecisionRequest, _ slots: inout SlotCache, _ reads: UnsafeMutablePointer<Read>
    ) throws(DecisionError) -> Int32 {
        let step = steps[i]
        var member = i + 1
        let end = Int(step.end)
        switch step.kind {
        case .all:
            while member < end {
                let failed = try evaluate(member, request, &slots, reads)
                if failed >= 0 { return failed }
                member = Int(steps[member].end)
            }
            return -1
        case .any:
            while member < end {
                if try evaluate(member, request, &slots, reads) < 0 { return -1 }
                member = Int(steps[member].end)
            }
            return step.id
        default:
            return try evaluate(member, request, &slots, reads) < 0 ? step.id : -1
        }
    }
}
