/// A `BoundedRegex` compiled for the Pike VM: a flat list of instructions (Thompson NFA) and
/// the ranges of its classes, emitted from the syntax tree.

struct RegexProgram: Sendable {
    enum Op: Sendable {
        case scalar(UInt32)
        /// Ranges `lows[from..<to]`/`highs[from..<to]`, kept flat so matching never copies an array.
        case set(from: Int, to: Int)
        case anyButNewline
        /// Continue at both targets.
        case split(Int, Int)
        case jump(Int)
        case assertStart
        case assertEnd
        case match
    }

    var ops: [Op] = []
    var lows: [UInt32] = []
    var highs: [UInt32] = []
    /// Where each distinct class already sits in `lows`/`highs`; only needed while compiling.
    var interned: [[ClosedRange<UInt32>]: Int] = [:]

    mutating func emit(_ node: RegexNode) {
        switch node {
        case .empty: break
        case .scalar(let value): ops.append(.scalar(value))
        case .anyButNewline: ops.append(.anyButNewline)
        case .start: ops.append(.assertStart)
        case .end: ops.append(.assertEnd)
        case .set(let ranges):
            // Shared, so `[^a-f0-9]{100}` stores its ranges once rather than a hundred times.
            let from: Int
            if let known = interned[ranges] {
                from = known
            } else {
                from = lows.count
                lows += ranges.map(\.lowerBound)
                highs += ranges.map(\.upperBound)
                interned[ranges] = from
            }
            ops.append(.set(from: from, to: from + ranges.count))
        case .concat(let items):
            for item in items { emit(item) }
        case .alternate(let branches):
            var jumps: [Int] = []
            for branch in branches.dropLast() {
                let split = ops.count
                ops.append(.split(split + 1, -1))
                emit(branch)
                jumps.append(ops.count)
                ops.append(.jump(-1))
                ops[split] = .split(split + 1, ops.count)
            }
            if let last = branches.last { emit(last) }
            for jump in jumps { ops[jump] = .jump(ops.count) }
        case .repetition(let body, let low, let high):
            if let high {
                for _ in 0..<low { emit(body) }
                for _ in low..<high { emitOptional(body) }
            } else if low == 0 {
                let loop = ops.count
                ops.append(.split(loop + 1, -1))
                emit(body)
                ops.append(.jump(loop))
                ops[loop] = .split(loop + 1, ops.count)
            } else {
                for _ in 1..<low { emit(body) }
                let loop = ops.count
                emit(body)
                ops.append(.split(loop, ops.count + 1))
            }
        }
    }

    mutating func emitOptional(_ body: RegexNode) {
        let split = ops.count
        ops.append(.split(split + 1, -1))
        emit(body)
        ops[split] = .split(split + 1, ops.count)
    }
}
