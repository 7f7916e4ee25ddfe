/// Decides a request against a policy. Pure and allocation-light: it reads only the rules of
/// the requested action (the index built at load), so its cost grows with that action's rules,
/// not with the file.
///
/// Matching rules are combined by `Combination`, the one combining rule (docs/POLICY.md §7).
public struct PolicyEvaluator: Sendable {
    /// The policy this evaluator decides by.
    public let policy: Policy

    /// An evaluator of `policy`, whose conditions were compiled when it loaded.
    public init(policy: Policy) {
        self.policy = policy
    }

    /// The decision for one request; throws when a value has the wrong type for a comparison.
    /// The rules' conditions run as the policy's compiled `DecisionProgram`; the decision keeps
    /// the trace of each rule (matched, or its first failing condition) for `Explanation`.
    public func decide(_ request: DecisionRequest) throws(DecisionError) -> Decision {
        guard let actionIndex = policy.actionIndex.index(of: request.action) else {
            return Decision(
                outcome: .deny, requirements: Requirements(), reason: "\(request.action) is not an action of this policy")
        }
        let program = policy.program
        let plan = program.plans[actionIndex]
        var failures = RuleFailures()
        var mask: UInt64 = 0
        var later: [Int] = []
        var failure: DecisionError?
        // The slots are filled inside; the combination is built outside, from plain values.
        withUnsafeTemporaryAllocation(of: AttributeSlot.self, capacity: max(plan.slotCount, 1)) { buffer in
            var slots = SlotCache(buffer.baseAddress!, count: plan.slotCount)
            let reads = program.reads.baseAddress! + plan.firstRead
            var step = plan.firstStep
            do throws(DecisionError) {
                for position in 0..<plan.considered.count {
                    let failed = try program.evaluate(step, request, &slots, reads)
                    failures.record(failed, at: position)
                    if failed < 0 {
                        if position < 64 { mask |= 1 << UInt64(position) } else { later.append(plan.considered[position]) }
                    }
                    step = Int(program.steps[step].end)
                }
            } catch {
                failure = error
            }
            slots.clear()
        }
        if let failure { throw failure }
        // One matching rule that grants: its requirements were combined at load.
        if later.isEmpty, mask != 0, mask & (mask - 1) == 0,
            let requirements = program.lone[plan.considered[mask.trailingZeroBitCount]]
        {
            return Decision(
                outcome: Combination.outcome(requirements, for: request, policy: policy), requirements: requirements,
                reason: nil, considered: plan.considered, matchMask: mask, failures: failures)
        }
        var combined = Combination()
        var bits = mask
        while bits != 0 {
            combined.add(rule: plan.considered[bits.trailingZeroBitCount], policy: policy)
            bits &= bits - 1
        }
        for r in later { combined.add(rule: r, policy: policy) }
        return combined.decision(
            for: request, policy: policy, actionIndex: actionIndex, considered: plan.considered, mask: mask, later: later,
            failures: failures)
    }

    /// How each rule of the request's action fared, for `Explanation`: matched, or the first
    /// condition that failed. A value of the wrong type counts as a failure of that test here.
    public func trace(_ request: DecisionRequest) -> [RuleTrace] {
        guard let actionIndex = policy.actionIndex.index(of: request.action) else { return [] }
        let program = policy.program
        let plan = program.plans[actionIndex]
        return withUnsafeTemporaryAllocation(of: AttributeSlot.self, capacity: max(plan.slotCount, 1)) { buffer in
            var slots = SlotCache(buffer.baseAddress!, count: plan.slotCount)
            defer { slots.clear() }
            let reads = program.reads.baseAddress! + plan.firstRead
            var step = plan.firstStep
            var traces: [RuleTrace] = []
            for r in plan.considered {
                let failed = (try? program.evaluate(step, request, &slots, reads)) ?? -2
                traces.append(RuleTrace(rule: r, failedCondition: Int(failed)))
                step = Int(program.steps[step].end)
            }
            return traces
        }
    }
}
