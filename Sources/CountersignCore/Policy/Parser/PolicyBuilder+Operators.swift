import Yams

extension PolicyBuilder {
    /// One operator with its operand, type-checked against the attribute: a comparison that
    /// could only ever be a type error is refused here, at load time, not at decision time.
    mutating func parseOperator(_ name: String, opNode: Node, operand: Node, attribute: Attribute, type: AttributeType?) -> Operator? {
        let a = attribute.description
        switch name {
        case "eq", "ne":
            guard let v = scalarOperand(operand, name: name, attribute: a), checkScalar(v.kind, type, name, a, opNode) else { return nil }
            if attribute.root == .resource, case .string(let text) = v {
                checkNormalForm(text, isGlob: false, what: "\(a) \(name)", at: operand)
            }
            return name == "eq" ? .eq(v) : .ne(v)
        case "in", "not_in":
            guard let vs = listOperand(operand, name: name, attribute: a), let first = vs.first,
                checkScalar(first.kind, type, name, a, opNode)
            else { return nil }
            if attribute.root == .resource {
                for case .string(let text) in vs { checkNormalForm(text, isGlob: false, what: "\(a) \(name)", at: operand) }
            }
            return name == "in" ? .isIn(vs) : .notIn(vs)
        case "contains":
            guard let v = scalarOperand(operand, name: name, attribute: a), checkList(v.kind, type, name, a, opNode) else { return nil }
            return .contains(v)
        case "contains_any", "contains_all":
            guard let vs = listOperand(operand, name: name, attribute: a), let first = vs.first,
                checkList(first.kind, type, name, a, opNode)
            else { return nil }
            return name == "contains_any" ? .containsAny(vs) : .containsAll(vs)
        case "lt", "lte", "gt", "gte":
            guard let v = scalarOperand(operand, name: name, attribute: a) else { return nil }
            guard case .number(let bound) = v else {
                let hint = if case .string(let s) = v, (try? ExactDecimal(literal: s)) != nil { ": write \(s) without quotes" } else { "" }
                reader.fail("\(a) \(name) compares numbers, so its operand must be a number\(hint)", at: operand)
                return nil
            }
            guard checkScalar(.number, type, name, a, opNode) else { return nil }
            switch name {
            case "lt": return .lt(bound)
            case "lte": return .lte(bound)
            case "gt": return .gt(bound)
            default: return .gte(bound)
            }
        case "glob":
            guard checkString(type, name, a, opNode) else { return nil }
            var patterns: [GlobPattern] = []
            for text in stringOrList(operand, name: name, attribute: a) ?? [] {
                do { patterns.append(try GlobPattern(text.value)) } catch {
                    reader.fail("glob \(text.value): \(error.message)", at: text.node)
                }
                if attribute.root == .resource { checkNormalForm(text.value, isGlob: true, what: "\(a) glob", at: text.node) }
            }
            return patterns.isEmpty ? nil : .glob(patterns)
        case "regex":
            guard checkString(type, name, a, opNode), let text = reader.string(operand, "the regex of \(a)") else { return nil }
            do { return .regex(try BoundedRegex(text)) } catch {
                reader.fail(
                    "regex \(PolicyValue.string(text).rendered(limit: 60)): \(error.message) (at character \(error.offset + 1))",
                    at: operand)
                return nil
            }
        case "cidr":
            if let type, type != .ip, type != .string {
                reader.fail(
                    "\(a) is \(type), so cidr cannot test it; cidr tests request.ip or a string field holding an address", at: opNode)
                return nil
            }
            var blocks: [CIDRBlock] = []
            for text in stringOrList(operand, name: name, attribute: a) ?? [] {
                do { blocks.append(try CIDRBlock(text.value)) } catch { reader.fail(error.message, at: text.node) }
            }
            return blocks.isEmpty ? nil : .cidr(blocks)
        case "between":
            guard type == .time else {
                reader.fail("between tests request.time (a time of day window), not \(a)", at: opNode)
                return nil
            }
            return parseTimeWindow(operand, attribute: a).map(Operator.between)
        case "exists":
            guard let b = reader.bool(operand, "exists") else { return nil }
            return .exists(b)
        default:
            reader.fail(
                "unknown operator \(name) on \(a)\(YAMLReader.suggestion(for: name, among: Operator.names)); operators: \(Operator.names.joined(separator: ", "))",
                at: opNode)
            return nil
        }
    }

    mutating func scalarOperand(_ node: Node, name: String, attribute: String) -> PolicyValue? {
        if case .sequence = node {
            reader.fail(
                "\(attribute) \(name) takes one value, not a list\(name == "eq" ? ": use in for a list" : name == "contains" ? ": use contains_any or contains_all" : "")",
                at: node)
            return nil
        }
        guard let v = reader.scalar(node, "the operand of \(name)") else { return nil }
        if case .null = v {
            reader.fail("\(attribute) \(name) needs a value (found nothing); use exists: false to test for absence", at: node)
            return nil
        }
        return v
    }

    mutating func listOperand(_ node: Node, name: String, attribute: String) -> [PolicyValue]? {
        guard let items = reader.sequence(node, "the operand of \(attribute) \(name)") else { return nil }
        guard !items.isEmpty else {
            reader.fail("\(attribute) \(name) needs at least one value", at: node)
            return nil
        }
        guard items.count <= Self.maxListOperand else {
            reader.fail("\(attribute) \(name) lists more than \(Self.maxListOperand) values", at: node)
            return nil
        }
        var values: [PolicyValue] = []
        for item in items {
            guard let v = scalarOperand(item, name: name, attribute: attribute) else { return nil }
            if let first = values.first, first.kind != v.kind {
                reader.fail("\(attribute) \(name) mixes \(first.kind)s and \(v.kind)s: a value has one type", at: item)
                return nil
            }
            if !values.contains(v) { values.append(v) }
        }
        return values
    }

    mutating func stringOrList(_ node: Node, name: String, attribute: String) -> [(value: String, node: Node)]? {
        if case .sequence = node {
            guard let items = reader.sequence(node, "the operand of \(attribute) \(name)"), !items.isEmpty else {
                reader.fail("\(attribute) \(name) needs at least one pattern", at: node)
                return nil
            }
            return items.compactMap { item in reader.string(item, "a pattern").map { ($0, item) } }
        }
        return reader.string(node, "the operand of \(attribute) \(name)").map { [($0, node)] }
    }

    /// A pattern or value compared with resource locations must be written in their normal
    /// form, or it could never match one (POLICY.md §3): a deny rule written
    /// `https://API.example.com/…` would never deny.
    mutating func checkNormalForm(_ text: String, isGlob: Bool, what: String, at node: Node) {
        guard let problem = ResourceLocation.neverMatchesProblem(pattern: text, isGlob: isGlob) else { return }
        reader.fail("\(what) \(PolicyValue.string(text).rendered(limit: 80)) can never match a location: \(problem)", at: node)
    }

    /// eq, ne, in, not_in, lt…: the attribute must be a single value of the operand's kind.
    mutating func checkScalar(_ kind: PolicyValue.Kind, _ type: AttributeType?, _ op: String, _ a: String, _ node: Node) -> Bool {
        guard let type else { return true }
        let expected: AttributeType? =
            switch kind {
            case .string: .string
            case .number: .number
            case .boolean: .boolean
            default: nil
            }
        if type == expected { return true }
        let hint =
            switch type {
            case .list: ": use contains, contains_any or contains_all"
            case .ip: ": use cidr"
            case .time: ": use between"
            default: ""
            }
        reader.fail("\(a) is \(type), but \(op) compares it with \(expected.map(\.description) ?? "\(kind)")\(hint)", at: node)
        return false
    }

    /// contains…: the attribute must be a list whose elements have the operand's kind.
    mutating func checkList(_ kind: PolicyValue.Kind, _ type: AttributeType?, _ op: String, _ a: String, _ node: Node) -> Bool {
        guard let type else { return true }
        if case .list(let element) = type {
            let matches =
                switch (element, kind) {
                case (.string, .string), (.number, .number), (.boolean, .boolean): true
                default: false
                }
            if matches { return true }
            reader.fail("\(a) is \(type), but \(op) looks for a \(kind)", at: node)
            return false
        }
        reader.fail("\(a) is \(type), not a list: use eq or in", at: node)
        return false
    }

    mutating func checkString(_ type: AttributeType?, _ op: String, _ a: String, _ node: Node) -> Bool {
        guard let type, type != .string else { return true }
        reader.fail("\(a) is \(type), but \(op) matches strings", at: node)
        return false
    }

    /// `{ from: "09:00", to: "18:00", weekdays: [mon, tue], timezone: Europe/Berlin }`.
    mutating func parseTimeWindow(_ node: Node, attribute: String) -> TimeWindow? {
        guard let entries = reader.mapping(node, "between", known: ["from", "to", "weekdays", "timezone"]) else { return nil }
        var from: String?
        var to: String?
        var weekdays: Set<TimeWindow.Weekday>?
        var timeZone = "UTC"
        for e in entries {
            switch e.key {
            case "from": from = reader.string(e.value, "from")
            case "to": to = reader.string(e.value, "to")
            case "timezone": timeZone = reader.string(e.value, "timezone") ?? timeZone
            default:
                guard let items = reader.sequence(e.value, "weekdays") else { continue }
                var days = Set<TimeWindow.Weekday>()
                for item in items {
                    guard let s = reader.string(item, "a weekday") else { continue }
                    if let day = TimeWindow.Weekday(name: s) {
                        days.insert(day)
                    } else {
                        reader.fail("\(s) is not a weekday: use mon, tue, wed, thu, fri, sat, sun", at: item)
                    }
                }
                weekdays = days
            }
        }
        guard let from, let to else {
            reader.fail("between needs from and to, as \"HH:MM\" (for example from: \"09:00\", to: \"18:00\")", at: node)
            return nil
        }
        do { return try TimeWindow(from: from, to: to, weekdays: weekdays, timeZone: timeZone) } catch {
            reader.fail("between: \(error.message)", at: node)
            return nil
        }
    }
}
