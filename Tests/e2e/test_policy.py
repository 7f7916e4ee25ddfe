"""`countersign policy check|test|explain` and the server's policy loading (docs/POLICY.md).

Every error a policy author sees is checked exactly: FILE:LINE:COL: message, one per line, on
stderr, exit 1; hostile files (alias bombs, deep nesting, huge files) are refused cleanly.
"""

from __future__ import annotations

import hashlib
import json
import signal

import pytest

from support import REPO, jwt_parts, run_cli, start_server, wait_for_response, wait_until

EXAMPLE = REPO / "Examples" / "policy.yaml"
PEER_SCALED = REPO / "Benchmarks" / "Policies" / "peer-scaled-1000.yaml"
PEER_SMALL = REPO / "Benchmarks" / "Policies" / "peer-small.yaml"

HEADER = """version: 1
groups:
  security: { members: [carol, dave] }
actions:
  refund: { fields: { amount: number, currency: string } }
  delete_user: {}
"""


def alias_bomb(levels: int = 8) -> str:
    """A billion-laughs document: each level lists the previous one eight times."""
    lines = ["version: 1", "actions: { a: {} }", "y0: &y0 [1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, levels + 1):
        lines.append(f"y{i}: &y{i} [" + ", ".join([f"*y{i - 1}"] * 8) + "]")
    lines.append(f"rules: *y{levels}")
    return "\n".join(lines) + "\n"


ALIAS_BOMB = alias_bomb()


def write(tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_check_accepts_the_bundled_policy_with_counts_and_hash():
    proc = run_cli("policy", "check", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert proc.stdout.strip() == f"{EXAMPLE}: ok — 6 actions, 11 rules, 28 tests (sha256 {digest})"


def test_check_reports_every_error_as_file_line_column(tmp_path):
    path = write(tmp_path, HEADER + """rules:
  - { name: r1, action: refnud, effect: allow }
  - { name: r2, action: refund, when: { context.amount: { lte: "100" } }, effect: allow }
  - { name: r3, action: refund, effect: approve, approval: { group: finance } }
  - { name: r4, action: delete_user, when: { subject.roles: { has: admin } }, effect: permit }
""")
    proc = run_cli("policy", "check", str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"{path}:8:25: rule r1 names the action refnud, which is not declared under actions: (did you mean refund?)",
        f"{path}:9:64: context.amount lte compares numbers, so its operand must be a number: write 100 without quotes",
        f"{path}:10:69: rule r3 asks group finance to approve, but no such group is defined under groups:",
        f"{path}:11:63: unknown operator has on subject.roles; operators: eq, ne, in, not_in, contains, contains_any, "
        "contains_all, lt, lte, gt, gte, glob, regex, cidr, between, exists",
        f"{path}:11:87: effect must be allow, deny, approve or step_up (found permit)",
    ]


def test_check_json_lists_the_errors(tmp_path):
    path = write(tmp_path, HEADER + "rules:\n  - { name: r, action: refund, effect: allow, grant: { ttl: 2d } }\n")
    proc = run_cli("policy", "check", "--json", str(path))
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {
        "file": str(path), "ok": False,
        "errors": [{"line": 8, "column": 61, "message": "ttl must be between 1s and 1h, not 2d"}],
    }


def test_check_json_on_success():
    obj = json.loads(run_cli("policy", "check", "--json", str(EXAMPLE), check=True).stdout)
    assert obj["ok"] is True and obj["rules"] == 11 and obj["tests"] == 28
    assert obj["actions"] == ["refund", "delete_user", "read_transaction", "export_data", "change_payout_account",
                              "rotate_api_key"]


@pytest.mark.parametrize("text, position, message", [
    ("", "1:1", "the policy is empty: it needs version, actions and rules"),
    ("- a\n", "1:1", "the policy must be a mapping (key: value) (found a list)"),
    ("version: 1\nactions: [unclosed\n", "3:1", "invalid YAML:"),
    ("version: 1\nactions: { a: {} }\nrules: " + "[" * 5000 + "]" * 5000 + "\n", "3:",
     "invalid YAML: the policy is nested too deeply (more than 1000 levels)"),
    (ALIAS_BOMB, "4:10", "aliases (*name) are not allowed in a policy"),
    ("version: 1\nrules:\n" + "  - 1\n" * 200_000 + "  - [unclosed\n", "199997:3",
     "the policy could hold more than 200000 YAML nodes (counted from its lines and its - ? : , [ { } marks before it is "
     "read); split it or simplify it"),
    (ALIAS_BOMB.replace("rules: *y8", "? *y8\n: 1\nrules: []"), "4:10", "aliases (*name) are not allowed in a policy"),
    ("version: 1\nactions: { a: {} }\nrules:\n  - { name: r, action: a, effect: allow, when: "
     + "{ not: " * 40 + "{ subject.sub: x }" + " }" * 40 + " }\n", "4:", "nested more than 32 levels deep"),
    ("version: 1\nactions: { a: {} }\nrules:\n  - { name: r, action: a, effect: allow, when: { subject.sub: { regex: \"(a+)+\\\\1\" } } }\n",
     "4:", "backreferences"),
])
def test_hostile_and_broken_files_are_refused_with_their_position(tmp_path, text, position, message):
    path = write(tmp_path, text)
    proc = run_cli("policy", "check", str(path), timeout=30)
    assert proc.returncode == 1, proc.stdout
    assert f"{path}:{position}" in proc.stderr and message in proc.stderr, proc.stderr


def test_a_file_over_4_mib_is_refused(tmp_path):
    path = write(tmp_path, "version: 1\n# " + "x" * (4 * 1024 * 1024) + "\n")
    proc = run_cli("policy", "check", str(path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{path}: larger than 4194304 bytes"


@pytest.mark.parametrize("command", [("check",), ("test",), ("explain", "--request", "{}")])
def test_every_policy_command_stops_reading_at_the_size_limit(command):
    """The limit bounds the read itself: /dev/zero never ends, and is refused after 4 MiB
    instead of being read until memory runs out."""
    proc = run_cli("policy", command[0], "/dev/zero", *command[1:], timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "/dev/zero: larger than 4194304 bytes"


def test_serve_stops_reading_a_policy_at_the_size_limit(tmp_path):
    proc = run_cli("serve", "--port", "0", "--policy", "/dev/zero", data_dir=tmp_path / "data", timeout=30)
    assert proc.returncode != 0
    assert "/dev/zero: larger than 4194304 bytes" in proc.stderr, proc.stderr


def test_explain_stops_reading_a_request_file_at_its_size_limit():
    proc = explain("--request", "@/dev/zero")
    assert proc.returncode != 0
    assert proc.stderr.strip() == "Error: cannot read the request from /dev/zero (at most 1 MiB of UTF-8)", proc.stderr


def test_invalid_utf8_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"version: 1\n\xff\xfe\n")
    proc = run_cli("policy", "check", str(path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{path}:1:1: the policy file is not valid UTF-8"


# ---------------------------------------------------------------------------------------------
# policy test


def test_the_bundled_policy_passes_its_own_tests():
    proc = run_cli("policy", "test", str(EXAMPLE))
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[-1] == "28 passed, 0 failed"
    assert "PASS a hair above 100 needs two finance leads" in lines


@pytest.mark.parametrize("policy, count", [(PEER_SMALL, 201), (PEER_SCALED, 401)], ids=["small", "scaled"])
def test_the_engine_agrees_with_the_peer_reference_semantics_on_all_602_requests(policy, count):
    proc = run_cli("policy", "test", str(policy), timeout=60)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert proc.stdout.splitlines()[-1] == f"{count} passed, 0 failed"


def test_a_failing_test_exits_1_and_shows_the_explanation(tmp_path):
    path = write(tmp_path, HEADER + """rules:
  - { name: small, action: refund, when: { context.amount: { lte: 100 } }, effect: allow }
tests:
  - name: 150 is small
    request: { subject: alice, action: refund, context: { amount: 150, currency: EUR } }
    expect: { outcome: allow, rules: [small] }
  - name: 50 is small
    request: { subject: alice, action: refund, context: { amount: 50, currency: EUR } }
    expect: allow
""")
    proc = run_cli("policy", "test", str(path))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"FAIL 150 is small ({path}:10)",
        "     expected allow, got deny",
        "     expected rules [small] to match, matched []",
        "     refund: deny — No rule allows refund for this request.",
        "       ✗ small (allow, line 8) did not match: context.amount lte 100 (line 8), seen 150",
        "PASS 50 is small",
        "1 passed, 1 failed",
    ]


def test_test_json(tmp_path):
    obj = json.loads(run_cli("policy", "test", "--json", str(EXAMPLE), check=True).stdout)
    assert obj["passed"] == 28 and obj["failed"] == 0 and len(obj["tests"]) == 28


def test_a_test_naming_an_unknown_action_is_a_check_error(tmp_path):
    path = write(tmp_path, HEADER + "rules: []\ntests:\n  - { name: t, request: { subject: u, action: wire }, expect: deny }\n")
    proc = run_cli("policy", "test", str(path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"{path}:9:25: test t names the action wire, which is not declared under actions:")


# ---------------------------------------------------------------------------------------------
# policy explain


def explain(*args: str, check: bool = False):
    return run_cli("policy", "explain", str(EXAMPLE), *args, check=check)


def test_explain_shows_outcome_requirements_and_each_rule():
    request = {"subject": {"sub": "alice", "acr": "mfa"}, "action": "refund",
               "context": {"amount": 250, "currency": "EUR"}}
    lines = explain("--request", json.dumps(request), check=True).stdout.splitlines()
    assert lines[0] == "refund: approve"
    assert "  requires approval by group finance-leads (quorum 2, expires in 900s, reason required)" in lines
    assert "  ✓ large-refunds (approve, line 57) matched" in lines
    assert "  ✗ small-refunds (allow, line 51) did not match: context.amount lte 100 (line 53), seen 250" in lines


def test_explain_json_and_request_from_a_file(tmp_path):
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"subject": {"sub": "bob", "roles": ["contractor"]}, "action": "delete_user"}))
    obj = json.loads(explain("--request", f"@{req}", "--json", check=True).stdout)
    assert obj["outcome"] == "deny"
    assert obj["reason"] == "Contractors and guests may never delete users."
    assert [r["rule"] for r in obj["rules"] if r["matched"]] == [
        "contractors-and-guests-never-delete", "security-approves-deletions"]


def test_explain_uses_exact_numbers():
    base = '{"subject": "a", "action": "refund", "context": {"currency": "EUR", "amount": %s}}'
    assert explain("--request", base % "100.0000000000000001", check=True).stdout.startswith("refund: approve")
    assert explain("--request", base % "1e2", check=True).stdout.startswith("refund: allow")


def test_explain_decides_on_the_resource_in_normal_form():
    """As the server does (docs/POLICY.md §3): the resource is normalised first, or refused."""
    request = {"subject": {"sub": "bob", "roles": ["contractor"]}, "action": "delete_user",
               "resource": "HTTPS://API.example.com:443/users/%75-9"}
    obj = json.loads(explain("--json", "--request", json.dumps(request), check=True).stdout)
    assert obj["outcome"] == "deny"
    request["resource"] = "https://api.example.com/users/u-9/../../payments/p-1"
    proc = explain("--json", "--request", json.dumps(request))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == {
        "kind": "invalid_authorization_details",
        "message": '"https://api.example.com/users/u-9/../../payments/p-1" has a dot segment (. or ..) in its path'}


@pytest.mark.parametrize("request_text, message", [
    ('{"subject": "a", "action": "refund", "context": {"amount": "100", "currency": "EUR"}}',
     "invalid_authorization_details: refund field amount must be number, not string"),
    ('{"subject": "a", "action": "refund", "context": {"amount": 5}}',
     "invalid_authorization_details: refund requires the field currency (string)"),
    ('{"subject": "a", "action": "refund", "context": {"amount": 5, "currency": "EUR", "x": 1}}',
     "invalid_authorization_details: refund has no field x"),
    ('{"subject": "a", "action": "wire"}', "wire is not an action of"),
    ('{"subject": "a", "action": "refund", "action": "delete_user"}', "the request is not valid JSON: duplicate"),
    ('{"action": "refund"}', "the request is not valid: subject: missing"),
    ('{"subject": "a", "action": "refund", "context": {"amount": 1e99999999, "currency": "EUR"}}', "not valid"),
    ('{"subject": "a", "action": "refund", "ip": "010.0.0.1"}', "ip: must be an IPv4 or IPv6 address"),
])
def test_explain_refuses_bad_requests_clearly(request_text, message):
    proc = explain("--request", request_text)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize("request_text, kind, message", [
    ('{"subject": "a", "action": "refund", "context": {"amount": "100", "currency": "EUR"}}',
     "invalid_authorization_details", "refund field amount must be number, not string"),
    ('{"subject": "a", "action": "wire"}', "unknown_action",
     f"wire is not an action of {EXAMPLE}; its actions: refund, delete_user, read_transaction, export_data, "
     "change_payout_account, rotate_api_key"),
    ('{"subject": "a", "action": "refund", "action": "delete_user"}', "invalid_request",
     "the request is not valid JSON: duplicate member name \"action\" at byte 60"),
    ('{"action": "refund"}', "invalid_request",
     'the request is not valid: subject: missing: give {"sub": "…", …claims}'),
    ('{"subject": "a", "action": "export_data", "context": {"dataset": "x"}, "ip": "10.0.0.1", '
     '"time": "2026-11-25T10:30:00+01:00", "client": "app"}', None, None),
])
def test_explain_json_refuses_a_request_with_a_json_error_on_stdout(request_text, kind, message):
    proc = explain("--json", "--request", request_text)
    if kind is None:  # a request that is decided still prints the explanation
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["outcome"] == "allow"
        return
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert json.loads(proc.stdout) == {"file": str(EXAMPLE), "ok": False, "error": {"kind": kind, "message": message}}


def test_explain_refuses_deep_and_oversized_request_files(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    proc = explain("--request", f"@{deep}")
    assert proc.returncode != 0 and "the request is not valid JSON: JSON nested deeper than 32 levels" in proc.stderr, proc.stderr
    big = tmp_path / "big.json"
    big.write_text('{"subject": "' + "a" * (1 << 20) + '"}')
    proc = explain("--request", f"@{big}")
    assert proc.returncode != 0 and "at most 1 MiB of UTF-8" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------------
# the server loads the checked policy


def test_serve_refuses_a_policy_with_semantic_errors(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "policy.yaml").write_text(HEADER + "rules:\n  - { name: r, action: wire, effect: allow }\n")
    proc = run_cli("serve", "--port", "0", data_dir=data, timeout=30)
    assert proc.returncode != 0
    assert f"{data / 'policy.yaml'}:8:24: rule r names the action wire" in proc.stderr, proc.stderr


def test_sighup_with_a_semantically_broken_policy_keeps_the_running_one(tmp_path):
    srv = start_server(tmp_path / "data")
    try:
        path = srv.data_dir / "policy.yaml"
        events = lambda kind: [e for e in srv.audit_events() if e["type"] == kind]  # noqa: E731
        before = len(events("policy.loaded"))
        log_before = len(srv.stderr_text())
        # small-refunds names an unknown action and compares the amount with a string, and the
        # tests naming small-refunds fail with it: had this loaded, no rule would allow 25 EUR.
        broken = EXAMPLE.read_text().replace("    action: refund\n    when: { context.amount: { lte: 100 } }",
                                             "    action: refnd\n    when: { context.amount: { lte: \"100\" } }", 1)
        assert broken != EXAMPLE.read_text()
        path.write_text(broken)
        srv.signal(signal.SIGHUP)
        wait_until(lambda: f"{path}:" in srv.stderr_text()[log_before:], what="the refusal")
        assert "names the action refnd" in srv.stderr_text()[log_before:]
        assert len(events("policy.loaded")) == before
        refused = wait_until(lambda: events("policy.refused"), what="a policy.refused event")
        assert len(refused) == 1
        assert refused[0]["actor"] == "signal:SIGHUP"
        errors = run_cli("policy", "check", str(path)).stderr.splitlines()
        assert len(errors) == 9, errors
        # which file, which bytes, how many errors: no contents, no messages
        assert refused[0]["data"] == {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                      "errors": len(errors)}
        assert srv.get("/readyz").status_code == 200
        # The old policy still decides: its small-refunds rule allows 25 EUR, once.
        srv.create_client(scope=None, resources=("https://api.example.com",))  # the token's audience
        client = srv.create_client(scope=None)
        details = json.dumps([{"type": "refund", "locations": ["https://api.example.com/payments/p-1"], "amount": 25,
                               "currency": "EUR"}])
        resp = wait_for_response(
            lambda: srv.token_request(client, {"grant_type": "client_credentials", "authorization_details": details}),
            lambda r: r.status_code != 401 and r.json().get("error") != "invalid_target",
            what="the new clients to be known")
        assert resp.status_code == 200, resp.text
        claims = jwt_parts(resp.json()["access_token"])[1]
        assert claims["one_time"] is True and claims["exp"] - claims["iat"] == 60
        decision = events("decision")[-1]
        assert decision["data"]["outcome"] == "allow" and "small-refunds" in json.dumps(decision["data"])
    finally:
        srv.stop()
        srv.kill()
