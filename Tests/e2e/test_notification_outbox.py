"""Durable, cross-process approval notifications (docs/APPROVALS.md, "Deliveries that outlive
the process"): nothing is lost when the server restarts while requests are pending or when a
notification endpoint is down or slow. Pings, pushes and webhook events are written to the
store's outbox with the approval change, so a delivery that was waiting for its retry when the
server died is made after the restart, a pushed token is resent rather than minted again, and
changes made by another process on the same store (the CLI's `request cancel`, a second
`serve`) reach clients, webhooks and live-event listeners. Every endpoint is a real HTTP server
on loopback."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import time

from notifications import EventStream, Receiver
from support import EVENTUALLY, Client, new_secret, start_server, uid, wait_for_response, wait_until

CIBA = "urn:openid:params:grant-type:ciba"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"
ARGS = ("--allow-private-callbacks",)


def reserved_port() -> socket.socket:
    """A loopback port bound but not listening: a connection to it is refused, and no other
    process (a server started with --port 0) can take it until the socket is closed."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def people(server) -> dict[str, str]:
    """bob the requester and two finance leads, with their personal API tokens."""
    tokens = {}
    for name, args in {"bob": [], "fiona": ["--group", "finance-leads"], "gita": ["--group", "finance-leads"]}.items():
        server.cli("user", "create", name, *args, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    return tokens


def notifying_client(server, mode: str, endpoint: str) -> Client:
    cid, secret = uid(mode), new_secret()
    server.cli("client", "create", "--id", cid, f"--secret={secret}", "--grant-type", "ciba", "--asserts-users", "--scope", "read",
               "--ciba-mode", mode, "--notification-endpoint", endpoint, check=True)
    server.cli("client", "create", "--id", uid("api"), f"--secret={new_secret()}", "--grant-type",
               "client_credentials", "--resource", API, check=True)
    return Client(cid, secret, "read", ())


def ask(server, client, amount=250, token="notify-me") -> str:
    """A refund two finance leads must approve; the auth_req_id."""
    details = json.dumps([{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": amount,
                           "currency": "EUR"}])
    resp = wait_for_response(
        lambda: server.post("/bc-authorize", {"login_hint": "bob", "resource": API, "authorization_details": details,
                                              "client_notification_token": token}, auth=(client.id, client.secret)),
        lambda r: r.status_code == 200, what="the backchannel request to be accepted")
    return resp.json()["auth_req_id"]


def newest_request_id(server, token) -> str:
    return server.get(BASE, headers={"Authorization": f"Bearer {token}"}).json()["approval_requests"][0]["id"]


def approve(server, token, rid):
    resp = server.post(f"{BASE}/{rid}/approve", body=json.dumps({"reason": "ok"}).encode(),
                       content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def outbox(data_dir, kind: str) -> list[tuple]:
    """The outbox rows of KIND as the database holds them: (attempts, done_at, sealed payload)."""
    with sqlite3.connect(data_dir / "countersign.sqlite", timeout=10) as db:
        return db.execute("SELECT attempts, done_at, sealed_payload FROM notification_outbox WHERE kind = ?",
                          (kind,)).fetchall()


def kill_9(server):
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)


def test_a_ping_waiting_for_its_retry_when_the_server_is_killed_arrives_after_the_restart(tmp_path):
    placeholder = reserved_port()  # nothing listens there yet: the endpoint is down when the vote lands
    port = placeholder.getsockname()[1]
    server = start_server(tmp_path / "data", *ARGS)
    restarted = None
    receiver = None
    try:
        tokens = people(server)
        client = notifying_client(server, "ping", f"http://127.0.0.1:{port}/cb")
        auth_req_id = ask(server, client)
        rid = newest_request_id(server, tokens["fiona"])
        approve(server, tokens["fiona"], rid)
        approve(server, tokens["gita"], rid)
        # The first attempt failed (the connection is refused; the HTTP client keeps trying
        # until its 5-second deadline); the ping waits for its retry.
        wait_until(lambda: "client notification failed" in server.stderr_text(),
                   what="a failed first attempt")
        time.sleep(0.2)  # in the backoff: the retry is due 0.5 s after the failure
        kill_9(server)
        placeholder.close()
        receiver = Receiver(port=port)
        restarted = start_server(tmp_path / "data", *ARGS)
        ping = receiver.wait(1)[0]
        assert ping["body"] == {"auth_req_id": auth_req_id}
        assert ping["headers"]["Authorization"] == "Bearer notify-me"
        poll = restarted.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
        assert poll.status_code == 200, poll.text
        wait_until(lambda: [(attempts >= 1, done is not None) for attempts, done, _ in outbox(tmp_path / "data", "ping")]
                   == [(True, True)], what="the delivery to be finished")
        time.sleep(1.5)
        assert len(receiver.received) == 1  # delivered once
    finally:
        for process in (server, restarted):
            if process:
                process.kill()
        if receiver:
            receiver.stop()
        placeholder.close()


def test_a_push_that_failed_is_resent_after_a_restart_with_the_one_token_minted(tmp_path):
    receiver = Receiver(statuses=(503,))  # failing until the server has been killed
    server = start_server(tmp_path / "data", *ARGS)
    restarted = None
    try:
        tokens = people(server)
        client = notifying_client(server, "push", receiver.url + "/cb")
        auth_req_id = ask(server, client, token="push-me")
        rid = newest_request_id(server, tokens["fiona"])
        approve(server, tokens["fiona"], rid)
        approve(server, tokens["gita"], rid)
        first = receiver.wait(1)[0]  # the token, answered 503
        assert first["body"]["auth_req_id"] == auth_req_id and first["status"] == 503
        token = first["body"]["access_token"]
        # Killed while the push waits for its retry; the token is kept only sealed.
        kill_9(server)
        for name in ("countersign.sqlite", "countersign.sqlite-wal"):
            path = tmp_path / "data" / name
            assert not path.exists() or token.encode() not in path.read_bytes()
        before = len(receiver.received)
        receiver.statuses = [200]  # the endpoint is back
        restarted = start_server(tmp_path / "data", *ARGS)
        pushes = receiver.wait(before + 1)
        assert pushes[-1]["status"] == 200 and len(pushes) == before + 1
        # Every attempt, before the kill and after the restart, carried the one token.
        assert {p["body"]["access_token"] for p in pushes} == {token}
        assert pushes[-1]["body"]["auth_req_id"] == auth_req_id
        assert pushes[-1]["headers"]["Authorization"] == "Bearer push-me"
        events = restarted.audit_events()
        redeemed = [e for e in events if e["type"] == "approval.redeemed" and e["data"]["request_id"] == rid]
        issued = [e for e in events if e["type"] == "token.issued" and e["data"].get("client_id") == client.id]
        assert len(redeemed) == 1 and len(issued) == 1
        # Once delivered, the sealed token response is gone from the store.
        wait_until(lambda: [(done is not None, payload) for _, done, payload in outbox(tmp_path / "data", "push")]
                   == [(True, None)], what="the delivered push to drop its payload")
        time.sleep(1.5)
        assert len(receiver.received) == before + 1
        assert restarted.cli("audit", "verify").returncode == 0
    finally:
        for process in (server, restarted):
            if process:
                process.kill()
        receiver.stop()


def test_a_cancel_from_the_command_line_pings_the_client_and_reaches_live_event_listeners(tmp_path):
    receiver = Receiver()
    server = start_server(tmp_path / "data", *ARGS, env={"COUNTERSIGN_SSE_HEARTBEAT": "1"})
    stream = None
    try:
        tokens = people(server)
        client = notifying_client(server, "ping", receiver.url + "/cb")
        stream = EventStream(server, tokens["fiona"])
        assert stream.resp.status == 200
        assert stream.listening.wait(EVENTUALLY)
        auth_req_id = ask(server, client, token="cancel-me")
        rid = stream.wait(lambda e: e["event"] == "approval.requested")
        rid = json.loads(rid["data"])["id"]
        cancelled = server.cli("request", "cancel", rid, check=True)
        assert f"{rid} cancelled" in cancelled.stdout
        ping = receiver.wait(1)[0]
        assert ping["body"] == {"auth_req_id": auth_req_id}
        assert ping["headers"]["Authorization"] == "Bearer cancel-me"
        decided = stream.wait(lambda e: e["event"] == "approval.decided")
        assert json.loads(decided["data"])["id"] == rid and json.loads(decided["data"])["state"] == "cancelled"
        poll = server.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
        assert poll.status_code == 400 and poll.json()["error"] == "access_denied"
        time.sleep(1.5)
        assert len(receiver.received) == 1
        assert len([e for e in stream.events if e["event"] == "approval.decided"]) == 1
    finally:
        if stream:
            stream.close()
        server.stop()
        server.kill()
        receiver.stop()


def test_two_server_processes_on_one_store_deliver_each_webhook_event_once(tmp_path):
    receiver = Receiver(statuses=(200,))
    first = start_server(tmp_path / "data", *ARGS)
    second = None
    try:
        tokens = people(first)
        client = notifying_client(first, "ping", receiver.url + "/ping")
        hook = json.loads(first.cli("webhook", "add", "--group", "finance-leads", "--url", receiver.url + "/hook",
                                    "--json", check=True).stdout)["id"]
        second = start_server(tmp_path / "data", *ARGS)
        ask(second, client)
        rid = newest_request_id(first, tokens["fiona"])
        # The cancel is made by neither server: both workers see its rows, one delivers each.
        first.cli("request", "cancel", rid, check=True)
        received = receiver.wait(3)
        time.sleep(3)  # both workers have swept several times since
        hooks = [r for r in receiver.received if r["headers"].get("Countersign-Event")]
        events = sorted(r["headers"]["Countersign-Event"] for r in hooks)
        assert events == ["approval.decided", "approval.requested"], received
        assert len({r["headers"]["Countersign-Delivery"] for r in hooks}) == 2
        assert len([r for r in receiver.received if "auth_req_id" in (r["body"] or {})]) == 1  # the ping, once
        log = [json.loads(line) for line in first.cli("webhook", "deliveries", "--json", check=True).stdout.splitlines()]
        assert sorted(d["event"] for d in log if d["webhook"] == hook) == ["approval.decided", "approval.requested"]
    finally:
        for process in (first, second):
            if process:
                process.stop()
                process.kill()
        receiver.stop()
