import CountersignCore
import Foundation

// Per-decision timing measured the way the peers' policy engines were measured
// (docs/BENCHMARKS.md): one thread, warm-up, then each call timed with clock_gettime (≈20 ns
// of overhead included), median and p99 of those, and decisions/s from a separate untimed loop.
// Run: cd Benchmarks && swift run -c release PolicyTiming

let policies =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Policies").path + "/"
let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Examples/policy.yaml").path

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func load(_ path: String) throws -> Policy {
    try PolicyParser.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
}

func request(_ json: String) throws -> DecisionRequest {
    try DecisionRequest(document: PolicyValue(json: JSONParser().parse(json)))
}

let only = CommandLine.arguments.dropFirst().first

@inline(never)
func measure(_ name: String, _ evaluator: PolicyEvaluator, _ r: DecisionRequest, explain: Bool = false) throws {
    if let only, !name.contains(only), !(only == "overhead" && name.hasPrefix("overhead")) { return }
    let n = 200_000
    var sink = 0
    for _ in 0..<20_000 { sink &+= try evaluator.decide(r).requirements.approvals.count }
    var samples = [UInt64](repeating: 0, count: n)
    for i in 0..<n {
        let t0 = now()
        let d = try evaluator.decide(r)
        if explain { sink &+= Explanation(decision: d, request: r, policy: evaluator.policy).rules.count }
        sink &+= d.requirements.approvals.count
        samples[i] = now() - t0
    }
    samples.sort()
    let t0 = now()
    var count = 0
    while now() - t0 < 2_000_000_000 {
        for _ in 0..<1000 {
            let d = try evaluator.decide(r)
            if explain { sink &+= Explanation(decision: d, request: r, policy: evaluator.policy).rules.count }
            sink &+= d.requirements.approvals.count
        }
        count += 1000
    }
    let perSecond = Double(count) / (Double(now() - t0) / 1e9)
    let outcome = try evaluator.decide(r).outcome
    print(
        String(
            format: "%-58@ median %6.3f µs  p99 %6.3f µs  %10.0f decisions/s  (%@, n=%d)",
            name, Double(samples[n / 2]) / 1000, Double(samples[n * 99 / 100]) / 1000, perSecond, outcome.rawValue, n))
    if sink == 42 { print("") }
}

let small = try load(policies + "peer-small.yaml")
let scaled = try load(policies + "peer-scaled-1000.yaml")
let ours = try load(example)
let refund250 = try request(
    #"{"subject": {"sub": "alice", "roles": ["employee"], "acr": "mfa", "auth_time": 1767614300}, "action": "refund", "context": {"amount": 250, "currency": "EUR"}}"#
)
let export = try request(
    #"{"subject": "erin", "action": "export_data", "context": {"dataset": "customers"}, "ip": "10.20.30.40", "time": "2026-11-25T10:30:00+01:00"}"#
)

try measure("example policy: refund 250 EUR (approve)", PolicyEvaluator(policy: ours), refund250)
try measure("example policy: export_data (cidr + time window)", PolicyEvaluator(policy: ours), export)
try measure("peer small (3 rules): refund 250 (approve)", PolicyEvaluator(policy: small), small.tests[0].request)
try measure("peer scaled (1000 rules/100 actions): act_050", PolicyEvaluator(policy: scaled), scaled.tests[0].request)
try measure("peer scaled, decision + explanation", PolicyEvaluator(policy: scaled), scaled.tests[0].request, explain: true)

if only == "overhead" {
    let empty = try PolicyParser.parse("version: 1\nactions: { refund: {} }\nrules: []\n")
    try measure("overhead: an action with no rules", PolicyEvaluator(policy: empty), small.tests[0].request)
    let one = try PolicyParser.parse("version: 1\nactions: { refund: {} }\nrules:\n  - { name: r, action: refund, effect: allow }\n")
    try measure("overhead: one unconditional allow", PolicyEvaluator(policy: one), small.tests[0].request)
    let cond = try PolicyParser.parse(
        "version: 1\nactions: { refund: {} }\nrules:\n  - { name: r, action: refund, effect: allow, when: { context.amount: { gt: 5 } } }\n"
    )
    try measure("overhead: one allow with one number test", PolicyEvaluator(policy: cond), small.tests[0].request)
    let appr = try PolicyParser.parse(
        "version: 1\ngroups: { g: { members: [a] } }\nactions: { refund: {} }\nrules:\n  - { name: r, action: refund, effect: approve, approval: { group: g } }\n"
    )
    try measure("overhead: one unconditional approve", PolicyEvaluator(policy: appr), small.tests[0].request)
}

if only != nil && only != "load" { exit(0) }
/// Median and minimum of 20 loads, each parsing and checking the whole text.
func timeLoads(_ label: String, _ text: String) throws {
    var loads: [UInt64] = []
    for _ in 0..<20 {
        let t0 = now()
        _ = try PolicyParser.parse(text)
        loads.append(now() - t0)
    }
    loads.sort()
    print(
        String(
            format: "load + check %@ (%d KB): median %.1f ms, min %.1f ms", label, text.utf8.count / 1024,
            Double(loads[10]) / 1e6, Double(loads[0]) / 1e6))
}

let text = try String(contentsOfFile: policies + "peer-scaled-1000.yaml", encoding: .utf8)
try timeLoads("peer scaled (1000 rules, 401 tests)", text)
try timeLoads("peer scaled without its tests", text.components(separatedBy: "\ntests:\n")[0])
