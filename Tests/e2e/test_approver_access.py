"""Who may keep listening to, and keep guessing at, the approver API (docs/APPROVALS.md): an open
event stream ends as soon as its user is disabled or given a new personal token, long before the
next heartbeat, and nothing is sent on it after the change; wrong personal tokens are counted per
address and answered 429 with Retry-After past the limit, each failure logged with the address
and the burst audited once."""

from __future__ import annotations

import json

from notifications import EventStream
from support import EVENTUALLY, start_server, uid

API = "https://api.example.com"
# A heartbeat far away: a stream that ends here was ended by the change, not by the heartbeat.
SERVER_ENV = {"COUNTERSIGN_SSE_HEARTBEAT": "300"}


def lead(server) -> tuple[str, str]:
    name = uid("lead")
    server.cli("user", "create", name, "--group", "finance-leads", check=True)
    return name, server.cli("user", "token", name, check=True).stdout.strip()


def listening(server, token) -> EventStream:
    stream = EventStream(server, token)
    assert stream.resp.status == 200
    assert stream.listening.wait(EVENTUALLY), "the stream never opened"
    assert not stream.ended.wait(0.5), "the stream ended before any change"
    return stream


def test_disabling_a_user_ends_their_open_stream_at_once(server):
    name, token = lead(server)
    stream = listening(server, token)
    try:
        server.cli("user", "disable", name, check=True)
        assert stream.ended.wait(EVENTUALLY), "the disabled user's stream stayed open"
        assert [e["event"] for e in stream.events] == ["listener.ended"]
        assert "request" not in stream.events[0]["data"] and stream.events[0].get("retry") == "86400000"
        resp = server.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"
    finally:
        stream.close()


def test_a_new_personal_token_ends_the_old_tokens_stream_and_replaces_it(server):
    name, old = lead(server)
    stream = listening(server, old)
    try:
        new = server.cli("user", "token", name, check=True).stdout.strip()
        assert stream.ended.wait(EVENTUALLY), "the replaced token's stream stayed open"
        assert server.get("/api/v1/approval-requests", headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert server.get("/api/v1/approval-requests", headers={"Authorization": f"Bearer {new}"}).status_code == 200
        fresh = listening(server, new)
        fresh.close()
    finally:
        stream.close()


def test_another_users_change_leaves_a_stream_open(server):
    _, token = lead(server)
    other, _ = lead(server)
    stream = listening(server, token)
    try:
        server.cli("user", "disable", other, check=True)
        assert not stream.ended.wait(2), "a change to someone else ended this stream"
    finally:
        stream.close()


def test_wrong_personal_tokens_are_throttled_per_address_logged_and_audited_once(tmp_path):
    guarded = start_server(tmp_path / "guarded")
    try:
        name, token = lead(guarded)
        statuses = []
        for i in range(150):
            resp = guarded.get("/api/v1/approval-requests", headers={"Authorization": f"Bearer csu_wrong{i:04d}"})
            statuses.append(resp.status_code)
        assert statuses[:100] == [401] * 100
        assert statuses[100:] == [429] * 50
        resp = guarded.get("/api/v1/approval-requests", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 429  # the address waits, whichever token it sends
        assert 0 < int(resp.headers["Retry-After"]) <= 60
        body = resp.json()
        assert body["error"] == "too_many_requests"
        assert body["error_description"].startswith("too many failed authentications from this address; retry in ")
        bursts = [e for e in guarded.audit_events() if e["type"] == "authentication.throttled"]
        assert len(bursts) == 1
        assert bursts[0]["data"] == {"ip": "127.0.0.1", "failures": 100, "window_seconds": 60, "reached_by": "approver"}
        logs = guarded.stderr_text()
        assert logs.count("approver authentication failed") == 100
        assert "127.0.0.1" in logs and "csu_wrong" not in logs and token not in logs
    finally:
        guarded.stop()
