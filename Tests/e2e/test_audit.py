"""The audit log: one hash-chained event per state change, no secrets anywhere, tamper evidence, also
under concurrent appends from one server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from support import (GENESIS, Client, canonical_json, audit_head_signature, drop_append_only_triggers, event_hash,
                     jwt_parts, new_secret, run_cli, start_server, wait_for_response)

# The most talkative level: whatever the server can log, the leak test gets to see.
SERVER_LOG_LEVEL = "trace"

EXPORT_FIELDS = {"seq", "time", "type", "actor", "data", "prev_hash", "hash"}
OK_LINE = re.compile(r"^audit chain ok: (\d+) events")


def verified_count(server_or_dir) -> int:
    proc = (server_or_dir.cli("audit", "verify") if hasattr(server_or_dir, "cli")
            else run_cli("audit", "verify", data_dir=server_or_dir))
    assert proc.returncode == 0, f"audit verify failed: {proc.stdout}{proc.stderr}"
    m = OK_LINE.match(proc.stdout)
    assert m, proc.stdout
    return int(m.group(1))


def new_events(server, since_seq: int, type_: str | None = None) -> list[dict]:
    return [e for e in server.audit_events() if e["seq"] > since_seq and (type_ is None or e["type"] == type_)]


def last_seq(server) -> int:
    events = server.audit_events()
    return events[-1]["seq"] if events else 0


# ---------------------------------------------------------------------------------------------
# One event per state change


def test_each_token_request_appends_one_token_issued_event(server, client):
    start = last_seq(server)
    tokens = [server.access_token(client) for _ in range(10)]
    issued = new_events(server, start, "token.issued")
    assert len(issued) == 10
    jtis = [e["data"]["jti"] for e in issued]
    assert len(set(jtis)) == 10, "jti repeated in the audit log"
    assert set(jtis) == {jwt_parts(t)[1]["jti"] for t in tokens}
    by_jti = {jwt_parts(t)[1]["jti"]: jwt_parts(t)[1] for t in tokens}
    for e in issued:
        assert e["actor"] == f"client:{client.id}"
        assert e["data"]["client_id"] == client.id
        assert e["data"]["exp"] == by_jti[e["data"]["jti"]]["exp"]
        assert "access_token" not in e["data"] and "token" not in e["data"]


def test_failed_token_requests_append_nothing_issued(server, client):
    start = last_seq(server)
    server.token_request(Client(client.id, "wrong-secret-" + "x" * 30))
    server.token_request(client, {"grant_type": "client_credentials", "scope": "admin"})
    assert new_events(server, start, "token.issued") == []


def test_export_lines_have_the_documented_fields(server):
    events = server.audit_events()
    assert events
    for e in events:
        assert set(e) == EXPORT_FIELDS, sorted(e)
        assert isinstance(e["seq"], int) and isinstance(e["time"], int) and isinstance(e["data"], dict)


def test_chain_recomputes_independently(server, client):
    """SHA-256 over RFC 8785 canonical JSON of every field but hash, recomputed in Python."""
    server.access_token(client)
    events = server.audit_events()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "seq has gaps or is unordered"
    prev = GENESIS
    for e in events:
        assert e["prev_hash"] == prev, f"event {e['seq']} does not link to its predecessor"
        assert e["hash"] == event_hash(e), f"event {e['seq']} hash is not SHA-256 of its canonical JSON"
        prev = e["hash"]
    assert verified_count(server) == len(events)


def test_stored_data_column_is_canonical_json(server):
    db = sqlite3.connect(f"file:{server.data_dir / 'countersign.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT seq, data FROM audit_events ORDER BY seq").fetchall()
    finally:
        db.close()
    assert rows
    for seq, data in rows:
        assert data == canonical_json(json.loads(data)).decode(), f"event {seq} data is not canonical JSON"


def test_state_changes_are_audited(server):
    start = last_seq(server)
    c = server.create_client(scope="read", resources=("https://audited.example.com/",))
    tok = server.access_token(c)
    assert server.revoke(c, tok).status_code == 200
    server.cli("client", "delete", c.id, check=True)
    events = new_events(server, start)
    kinds = [(e["type"], e["actor"]) for e in events]
    assert ("client.created", "cli") in kinds
    assert ("token.issued", f"client:{c.id}") in kinds
    assert ("token.revoked", f"client:{c.id}") in kinds
    assert ("client.deleted", "cli") in kinds
    created = next(e for e in events if e["type"] == "client.created")
    assert created["data"]["client_id"] == c.id and created["data"]["resources"] == ["https://audited.example.com/"]
    revoked = next(e for e in events if e["type"] == "token.revoked")
    assert revoked["data"]["jti"] == jwt_parts(tok)[1]["jti"]
    deleted = next(e for e in events if e["type"] == "client.deleted")
    assert deleted["data"]["client_id"] == c.id
    assert [e["type"] for e in events].index("token.revoked") > [e["type"] for e in events].index("token.issued")


def test_startup_audits_the_first_key_and_the_policy(server):
    events = server.audit_events()
    key = next(e for e in events if e["type"] == "key.created")
    jwks_kids = {k["kid"] for k in server.jwks()["keys"]}
    assert key["data"]["kid"] in jwks_kids and key["data"]["alg"] == "ES256"
    policy = next(e for e in events if e["type"] == "policy.loaded")
    assert policy["data"]["sha256"] == hashlib.sha256((server.data_dir / "policy.yaml").read_bytes()).hexdigest()


def test_export_since_filters_by_time(server):
    events = server.audit_events()
    pivot = events[len(events) // 2]["time"] // 1000 * 1000  # whole second, RFC 3339 has no millis here
    since = datetime.fromtimestamp(pivot / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    filtered = server.audit_events("--since", since)
    expected = [e for e in events if e["time"] >= pivot]
    assert [e["seq"] for e in filtered] == [e["seq"] for e in expected]
    assert server.audit_events("--since", "2999-01-01T00:00:00Z") == []


# ---------------------------------------------------------------------------------------------
# Nothing secret in the audit log, the server's output or the database (CWE-532/117;
# docs/threat_model.md, "Secrets in the audit log")


def test_no_token_or_secret_leaks_into_export_logs_or_database(server, client, resource_server):
    generated = server.cli("client", "create", "--id", "leak-generated", "--grant-type", "client_credentials",
                           "--scope", "read", check=True)
    secret_line = next(line for line in generated.stdout.splitlines() if line.startswith("client_secret: "))
    gen_secret = secret_line.split(": ", 1)[1].strip()
    as_json = json.loads(server.cli("client", "create", "--id", "leak-json", "--grant-type", "client_credentials",
                                    "--scope", "read", "--json", check=True).stdout)
    json_secret = as_json["client_secret"]
    wrong_secret = "WRONG-secret-guess-" + "z" * 24
    gen_client, json_client = Client("leak-generated", gen_secret), Client("leak-json", json_secret)

    tokens = [server.access_token(gen_client), server.access_token(json_client, scope="read"),
              server.access_token(client, resource=resource_server.resources[0])]
    for tok in tokens:
        assert server.introspect(resource_server, tok).status_code == 200
    assert server.revoke(gen_client, tokens[0]).status_code == 200
    server.token_request(Client(client.id, wrong_secret))
    server.token_request(Client(client.id, wrong_secret), method="post")
    # CWE-117: a client id with CR/LF must not forge a log line
    server.post("/token", {"grant_type": "client_credentials"},
                headers={"Authorization": "Basic " + base64.b64encode(b"evil\r\nFORGED LOG LINE:x").decode()})

    # A personal API token, used once; a webhook's signing secret; a CIBA client_notification_token.
    server.cli("user", "create", "leak-user", "--group", "finance-leads", check=True)
    personal_token = server.cli("user", "token", "leak-user", check=True).stdout.strip()
    assert server.get("/api/v1/approval-requests", headers={"Authorization": f"Bearer {personal_token}"}).status_code == 200
    added = server.cli("webhook", "add", "--group", "*", "--url", "https://hooks.example.com/countersign", check=True)
    webhook_secret = next(line for line in added.stdout.splitlines()
                          if line.startswith("signing secret (shown once): ")).split(": ", 1)[1].strip()
    ciba = Client("leak-ciba", new_secret())
    server.cli("client", "create", "--id", ciba.id, f"--secret={ciba.secret}", "--grant-type", "ciba", "--asserts-users", "--scope", "read",
               "--ciba-mode", "ping", "--notification-endpoint", "https://client.example.com/cb", check=True)
    notification_token = "leak-notification-" + new_secret()
    server.create_client(scope=None, resources=("https://api.example.com",))  # the refund's resource server
    refund = json.dumps([{"type": "refund", "locations": ["https://api.example.com/payments/p-leak"], "amount": 250,
                          "currency": "EUR"}])
    wait_for_response(lambda: server.post("/bc-authorize", {"login_hint": "leak-user", "authorization_details": refund,
                                                            "client_notification_token": notification_token},
                                          auth=(ciba.id, ciba.secret)),
                      lambda r: r.status_code == 200, what="the CIBA request to be accepted")
    assert len(personal_token) > 20 and len(webhook_secret) > 20

    secrets = [gen_secret, json_secret, wrong_secret, client.secret, resource_server.secret, *server.secrets,
               personal_token, webhook_secret, notification_token, ciba.secret]
    minted = list(server.minted_tokens) + tokens
    needles = {**{f"secret#{i}": s for i, s in enumerate(secrets)},
               **{f"token#{i}": t for i, t in enumerate(minted)},
               **{f"token-signature#{i}": t.rsplit(".", 1)[1] for i, t in enumerate(minted)}}

    export_text = server.cli("audit", "export", check=True).stdout
    list_text = server.cli("client", "list", "--json", check=True).stdout + server.cli("client", "list", check=True).stdout
    keys_text = server.cli("keys", "list", "--json", check=True).stdout
    log_text = server.stderr_text() + "".join(server.stdout_lines)
    db_bytes = b"".join(p.read_bytes() for p in server.data_dir.glob("countersign.sqlite*"))
    places = {"audit export": export_text, "client list": list_text, "keys list": keys_text, "server log": log_text}
    leaks = [(where, name) for name, value in needles.items() for where, text in places.items() if value in text]
    leaks += [("database", name) for name, value in needles.items() if value.encode() in db_bytes]
    assert not leaks, f"secret material found: {leaks}"
    assert not any(line.startswith("FORGED LOG LINE") for line in log_text.splitlines()), "log injection"
    assert len(minted) >= 3


# ---------------------------------------------------------------------------------------------
# Concurrency: 50 token requests at once


def test_fifty_parallel_token_requests_all_succeed_and_chain_stays_valid(server, client):
    before = verified_count(server)
    barrier = threading.Barrier(50)

    def one(_):
        barrier.wait(timeout=30)
        return server.token_request(client)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(one, range(50)))
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 50, statuses
    jtis = {jwt_parts(r.json()["access_token"])[1]["jti"] for r in responses}
    assert len(jtis) == 50
    assert verified_count(server) == before + 50
    issued = {e["data"]["jti"] for e in server.audit_events() if e["type"] == "token.issued"}
    assert jtis <= issued


# ---------------------------------------------------------------------------------------------
# Checkpoints (audit head)


def test_audit_head_is_a_signed_checkpoint_of_the_current_head(server, tmp_path):
    head = json.loads(server.cli("audit", "head", check=True).stdout)
    assert set(head) >= {"seq", "hash", "time", "signature"}
    last = server.audit_events()[-1]
    assert (head["seq"], head["hash"]) == (last["seq"], last["hash"])
    assert head["signature"] == audit_head_signature(server.data_dir, head["seq"], head["hash"], head["time"])
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head))
    ok = server.cli("audit", "verify", "--head", str(path))
    assert ok.returncode == 0, ok.stderr


def test_audit_head_with_bad_signature_is_refused(server, tmp_path):
    head = json.loads(server.cli("audit", "head", check=True).stdout)
    head["signature"] = ("0" if head["signature"][0] != "0" else "1") + head["signature"][1:]
    path = tmp_path / "bad-head.json"
    path.write_text(json.dumps(head))
    proc = server.cli("audit", "verify", "--head", str(path))
    assert proc.returncode != 0 and proc.stderr.strip(), (proc.stdout, proc.stderr)


def test_audit_head_naming_a_hash_not_in_the_chain_is_refused(server, tmp_path):
    """Correctly signed (with the real key), but the chain holds another hash at that seq."""
    head = json.loads(server.cli("audit", "head", check=True).stdout)
    fake = {**head, "hash": "ab" * 32}
    fake["signature"] = audit_head_signature(server.data_dir, fake["seq"], fake["hash"], fake["time"])
    path = tmp_path / "fake-head.json"
    path.write_text(json.dumps(fake))
    proc = server.cli("audit", "verify", "--head", str(path))
    assert proc.returncode != 0 and proc.stderr.strip(), (proc.stdout, proc.stderr)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'x' WHERE seq = 1",
                                       "DELETE FROM audit_events WHERE seq = 1"])
def test_database_refuses_to_change_audit_rows(server, statement):
    db = sqlite3.connect(server.data_dir / "countersign.sqlite", timeout=5)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
        db.rollback()
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Tampering with a stopped server's database: edited, deleted, reordered, inserted and
# truncated events are named (docs/threat_model.md, "Audit tampering")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A data directory with a dozen events, its server stopped, and a checkpoint kept outside."""
    base = tmp_path_factory.mktemp("tamper")
    srv = start_server(base / "data")
    try:
        clients = [srv.create_client(scope="read") for _ in range(4)]
        toks = [srv.access_token(c) for c in clients]
        assert srv.revoke(clients[0], toks[0]).status_code == 200
        srv.cli("client", "delete", clients[3].id, check=True)
    finally:
        srv.stop()  # exit status is covered by test_serve_lifecycle
        srv.kill()
    head = run_cli("audit", "head", data_dir=base / "data", check=True).stdout
    (base / "head.json").write_text(head)
    count = verified_count(base / "data")
    assert count >= 10
    return base, count


@pytest.fixture
def chain(pristine, tmp_path):
    """A fresh copy of the pristine directory: (data_dir, head_file, event_count, db)."""
    base, count = pristine
    data = tmp_path / "data"
    shutil.copytree(base / "data", data)
    db = sqlite3.connect(data / "countersign.sqlite")
    drop_append_only_triggers(db)
    yield data, base / "head.json", count, db
    db.close()


def row(db, seq):
    return db.execute("SELECT seq, time, type, actor, data, prev_hash, hash FROM audit_events WHERE seq = ?",
                      (seq,)).fetchone()


def verify(data: Path, *extra: str):
    return run_cli("audit", "verify", *extra, data_dir=data)


def assert_broken_at(proc, seq: int):
    assert proc.returncode != 0, f"tampering not detected: {proc.stdout}"
    assert re.search(rf"broken at event {seq}\b", proc.stderr), proc.stderr


def test_untouched_copy_verifies_with_and_without_head(chain):
    data, head, count, _ = chain
    assert verified_count(data) == count
    assert verify(data, "--head", str(head)).returncode == 0


@pytest.mark.parametrize("column,value", [
    ("data", '{"client_id":"someone-else"}'), ("type", "client.deleted"), ("actor", "server"), ("time", 0)])
def test_edited_event_is_named(chain, column, value):
    data, _, _, db = chain
    db.execute(f"UPDATE audit_events SET {column} = ? WHERE seq = 5", (value,))
    db.commit()
    assert_broken_at(verify(data), 5)


@pytest.mark.parametrize("statement,seq", [
    ("UPDATE audit_events SET actor = 'server' WHERE seq = 5", 5),
    ("DELETE FROM audit_events WHERE seq = 4", 4),
], ids=["edited", "deleted"])
def test_audit_head_refuses_to_sign_a_broken_chain(chain, statement, seq):
    """A checkpoint must never vouch for a rewritten log: `audit head` verifies first."""
    data, _, _, db = chain
    db.execute(statement)
    db.commit()
    proc = run_cli("audit", "head", data_dir=data)
    assert_broken_at(proc, seq)
    assert "no checkpoint written" in proc.stderr, proc.stderr
    assert proc.stdout.strip() == "", proc.stdout


def test_audit_head_signs_the_verified_head_of_an_intact_copy(chain):
    data, _, count, _ = chain
    head = json.loads(run_cli("audit", "head", data_dir=data, check=True).stdout)
    assert head["seq"] == count
    assert head["signature"] == audit_head_signature(data, head["seq"], head["hash"], head["time"])


def test_edited_hash_column_is_named(chain):
    data, _, _, db = chain
    db.execute("UPDATE audit_events SET hash = ? WHERE seq = 6", ("f" * 64,))
    db.commit()
    assert_broken_at(verify(data), 6)


def test_deleted_middle_event_is_named(chain):
    data, _, _, db = chain
    db.execute("DELETE FROM audit_events WHERE seq = 4")
    db.commit()
    assert_broken_at(verify(data), 4)


def test_reordered_events_are_named(chain):
    data, _, _, db = chain
    r3, r4 = row(db, 3), row(db, 4)
    db.execute("DELETE FROM audit_events WHERE seq IN (3, 4)")
    db.execute("INSERT INTO audit_events VALUES (3, ?, ?, ?, ?, ?, ?)", r4[1:])
    db.execute("INSERT INTO audit_events VALUES (4, ?, ?, ?, ?, ?, ?)", r3[1:])
    db.commit()
    assert_broken_at(verify(data), 3)


def test_inserted_event_is_caught_at_the_next_one(chain):
    """A forged event 4 that links correctly to 3 pushes the real 4 to seq 5 (relinked to the
    forgery, as an attacker keeping the links would), which no longer matches its own hash: first bad is 5."""
    data, _, count, db = chain
    rows = [row(db, s) for s in range(4, count + 1)]
    db.execute("DELETE FROM audit_events WHERE seq >= 4")
    prev = row(db, 3)[6]
    forged = {"seq": 4, "time": rows[0][1], "type": "client.created", "actor": "cli",
              "data": {"client_id": "backdoor"}, "prev_hash": prev}
    forged["hash"] = event_hash(forged)
    db.execute("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?)",
               (4, forged["time"], forged["type"], forged["actor"], canonical_json(forged["data"]).decode(),
                forged["prev_hash"], forged["hash"]))
    relinked = [(rows[0][0], *rows[0][1:5], forged["hash"], rows[0][6]), *rows[1:]]
    for r in relinked:
        db.execute("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?)", (r[0] + 1, *r[1:]))
    db.commit()
    assert_broken_at(verify(data), 5)


def test_tail_truncation_is_caught_only_with_a_head(chain):
    data, head, count, db = chain
    db.execute("DELETE FROM audit_events WHERE seq > ?", (count - 2,))
    db.commit()
    assert verified_count(data) == count - 2  # a truncated chain is internally consistent
    proc = verify(data, "--head", str(head))
    assert proc.returncode != 0, proc.stdout
    assert "truncated" in proc.stderr or str(count) in proc.stderr, proc.stderr


def test_rewrite_and_rehash_is_caught_only_with_a_head(chain):
    data, head, count, db = chain
    events = [dict(zip(("seq", "time", "type", "actor", "data", "prev_hash", "hash"), row(db, s)))
              for s in range(1, count + 1)]
    prev = events[2]["prev_hash"]
    for e in events[2:]:  # rewrite event 3 and rehash everything after it
        e["data"] = json.loads(e["data"])
        if e["seq"] == 3:
            e["data"]["client_id"] = "rewritten"
        e["prev_hash"] = prev
        e["hash"] = event_hash(e)
        prev = e["hash"]
    for e in events[2:]:
        db.execute("UPDATE audit_events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   (canonical_json(e["data"]).decode(), e["prev_hash"], e["hash"], e["seq"]))
    db.commit()
    assert verified_count(data) == count  # the rewritten chain is internally consistent
    proc = verify(data, "--head", str(head))
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.strip()


def test_reserialised_event_data_still_verifies(chain):
    """The hash covers canonical JSON (RFC 8785), so other key order, whitespace and \\u escapes
    in the stored text are the same event."""
    data, _, count, db = chain
    stored = json.loads(row(db, 3)[4])
    reserialised = json.dumps(dict(reversed(list(stored.items()))), indent=2, ensure_ascii=True)
    db.execute("UPDATE audit_events SET data = ? WHERE seq = 3", (reserialised,))
    db.commit()
    assert verified_count(data) == count


def test_verify_json_reports_a_break_as_json(tmp_path):
    import json
    import sqlite3
    from support import drop_append_only_triggers, run_cli, start_server
    data = tmp_path / "data"
    start_server(data).stop()
    ok = run_cli("audit", "verify", "--json", data_dir=data)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    db = sqlite3.connect(data / "countersign.sqlite")
    drop_append_only_triggers(db)
    db.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1")
    db.commit()
    db.close()
    broken = run_cli("audit", "verify", "--json", data_dir=data)
    assert broken.returncode != 0
    verdict = json.loads(broken.stdout)
    assert verdict["ok"] is False and "event 1" in verdict["error"], verdict
