extension Operator {
    /// Applies the operator to an attribute's value. A missing value never satisfies any
    /// operator but `exists: false`; a value of the wrong type throws. `test` only names the
    /// attribute in an error, so nothing of it is copied on the way to an answer.
    @inline(__always)
    func test(_ slot: inout AttributeSlot, _ test: ConditionTest) throws(DecisionError) -> Bool {
        // The common case first, without copying payloads: a number against a bound.
        if case .value(.number(let n)) = slot.value {
            switch self {
            case .lt(let bound): return n < bound
            case .lte(let bound): return !(bound < n)
            case .gt(let bound): return bound < n
            case .gte(let bound): return !(n < bound)
            default: break
            }
        }
        if case .exists(let wanted) = self {
            if case .missing = slot.value { return !wanted }
            return wanted
        }
        if case .cidr(let blocks) = self, case .value(.string(let s)) = slot.value {
            // A string holding an address (context.ip): parsed once per decision.
            if !slot.addressParsed {
                slot.address = IPAddress(s)
                slot.addressParsed = true
            }
            guard let address = slot.address else {
                throw DecisionError(
                    attribute: test.attribute.description, message: "\(PolicyValue.string(s).rendered(limit: 48)) is not an IP address")
            }
            return blocks.contains { $0.contains(address) }
        }
        switch slot.value {
        case .missing:
            return false
        case .ip(let address):
            if case .cidr(let blocks) = self { return blocks.contains { $0.contains(address) } }
            throw DecisionError(attribute: test.attribute.description, message: "an IP address can only be tested with cidr or exists")
        case .time(let instant):
            if case .between(let window) = self { return window.contains(epochSeconds: instant) }
            throw DecisionError(attribute: test.attribute.description, message: "a time can only be tested with between or exists")
        case .value(let value):
            return try self.test(value, test)
        }
    }

    private func test(_ value: PolicyValue, _ test: ConditionTest) throws(DecisionError) -> Bool {
        switch self {
        case .eq(let operand):
            try Self.expect(value, operand.kind, test)
            return value == operand
        case .ne(let operand):
            try Self.expect(value, operand.kind, test)
            return value != operand
        case .isIn(let options):
            if let first = options.first { try Self.expect(value, first.kind, test) }
            return options.contains(value)
        case .notIn(let options):
            if let first = options.first { try Self.expect(value, first.kind, test) }
            return !options.contains(value)
        // A lone string is a one-element list, compared without building the list.
        case .contains(let element):
            if case .string = value { return value == element }
            return try Self.elements(value, test).contains(element)
        case .containsAny(let wanted):
            if case .string = value { return wanted.contains(value) }
            let items = try Self.elements(value, test)
            return wanted.contains { items.contains($0) }
        case .containsAll(let wanted):
            if case .string = value { return wanted.allSatisfy { $0 == value } }
            let items = try Self.elements(value, test)
            return wanted.allSatisfy { items.contains($0) }
        case .lt(let bound): return try Self.number(value, test) < bound
        case .lte(let bound): return try Self.number(value, test) <= bound
        case .gt(let bound): return try Self.number(value, test) > bound
        case .gte(let bound): return try Self.number(value, test) >= bound
        case .glob(let patterns):
            let s = try Self.string(value, test)
            return patterns.contains { $0.matches(s) }
        case .regex(let regex):
            return regex.matches(try Self.string(value, test))
        case .cidr(let blocks):
            let s = try Self.string(value, test)
            guard let address = IPAddress(s) else {
                throw DecisionError(
                    attribute: test.attribute.description, message: "\(PolicyValue.string(s).rendered(limit: 48)) is not an IP address")
            }
            return blocks.contains { $0.contains(address) }
        case .between:
            throw DecisionError(attribute: test.attribute.description, message: "between tests request.time only")
        case .exists:
            return true
        }
    }

    @inline(__always)
    private static func expect(_ value: PolicyValue, _ kind: PolicyValue.Kind, _ test: ConditionTest) throws(DecisionError) {
        guard value.kind == kind else { throw mismatch(value, expected: "\(kind)", test) }
    }

    /// A list's elements; a single string stands for a one-element list (IdPs send a lone
    /// group as a string). Never a substring match.
    private static func elements(_ value: PolicyValue, _ test: ConditionTest) throws(DecisionError) -> [PolicyValue] {
        switch value {
        case .list(let items): return items
        case .string: return [value]
        default: throw mismatch(value, expected: "list", test)
        }
    }

    private static func number(_ value: PolicyValue, _ test: ConditionTest) throws(DecisionError) -> ExactDecimal {
        guard case .number(let n) = value else { throw mismatch(value, expected: "number", test) }
        return n
    }

    private static func string(_ value: PolicyValue, _ test: ConditionTest) throws(DecisionError) -> String {
        guard case .string(let s) = value else { throw mismatch(value, expected: "string", test) }
        return s
    }

    private static func mismatch(_ value: PolicyValue, expected: String, _ test: ConditionTest) -> DecisionError {
        DecisionError(
            attribute: test.attribute.description,
            message: "expected a \(expected), got a \(value.kind) (\(value.rendered(limit: 48)))")
    }
}
