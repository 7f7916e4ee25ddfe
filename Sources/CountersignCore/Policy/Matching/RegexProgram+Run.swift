/// Matching: the Pike VM that runs a `RegexProgram` over text in linear time.
extension RegexProgram {
    func inSet(_ c: UInt32, from: Int, to: Int) -> Bool {
        var lo = from, hi = to  // binary search for the last range starting at or before c
        while lo < hi {
            let mid = (lo + hi) / 2
            if lows[mid] <= c { lo = mid + 1 } else { hi = mid }
        }
        return lo > from && c <= highs[lo - 1]
    }

    /// Pike VM: the set of live instructions advances one scalar at a time. `mark` stamps each
    /// instruction with the step it was last reached in, so it joins a step's list at most
    /// once; that bounds a step by the program size and stops empty-width loops such as
    /// `(a*)*` from spinning. Buffers are local to the call, so concurrent matching is safe.
    func run(_ text: String.UnicodeScalarView) -> Bool {
        let count = ops.count
        var current: [Int] = []
        var next: [Int] = []
        var pending: [Int] = [0]  // instructions to follow by epsilon moves at this position
        current.reserveCapacity(count)
        next.reserveCapacity(count)
        pending.reserveCapacity(3 * count + 1)  // carried threads plus up to two pushes per instruction
        var mark = [Int](repeating: -1, count: count)
        var generation = 0
        let anchoredAtStart: Bool = if case .assertStart = ops[0] { true } else { false }
        var position = text.startIndex
        var atStart = true
        while true {
            let atEnd = position == text.endIndex
            while let pc = pending.popLast() {
                guard mark[pc] != generation else { continue }
                mark[pc] = generation
                switch ops[pc] {
                case .match: return true  // only a boolean is wanted, so stop at the first
                case .jump(let target): pending.append(target)
                case .split(let first, let second):
                    pending.append(second)
                    pending.append(first)
                case .assertStart: if atStart { pending.append(pc + 1) }
                case .assertEnd: if atEnd { pending.append(pc + 1) }
                case .scalar, .set, .anyButNewline: next.append(pc)
                }
            }
            if atEnd || (anchoredAtStart && next.isEmpty) { return false }
            swap(&current, &next)
            next.removeAll(keepingCapacity: true)
            generation += 1
            let c = text[position].value
            text.formIndex(after: &position)
            atStart = false
            for pc in current {
                switch ops[pc] {
                case .scalar(let value): if value == c { pending.append(pc + 1) }
                case .set(let from, let to): if inSet(c, from: from, to: to) { pending.append(pc + 1) }
                case .anyButNewline: if c != 10 { pending.append(pc + 1) }
                default: break
                }
            }
            pending.append(0)  // search semantics: a match may also begin at the next position
        }
    }
}
