"""Approvals under concurrency and crashes: fifty approvers at
once on one request, approve racing deny, two server processes sharing one store, kill -9 with
requests pending. Each ends in exactly one terminal state, at most one token, and an audit chain
that verifies."""

from __future__ import annotations

import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import EVENTUALLY, Client, new_secret, start_server, uid, wait_for_response

CIBA = "urn:openid:params:grant-type:ciba"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"
LEADS = 50


def setup_store(server, leads=LEADS):
    """bob the requester, LEADS finance leads with tokens, a CIBA client, the payments API."""
    server.cli("user", "create", "bob", check=True)
    tokens = {}
    for i in range(leads):
        name = f"lead{i:02d}"
        server.cli("user", "create", name, "--group", "finance-leads", check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    cid, secret = uid("ciba"), new_secret()
    server.cli("client", "create", "--id", cid, f"--secret={secret}", "--grant-type", "ciba", "--asserts-users", "--scope", "read",
               check=True)
    server.cli("client", "create", "--id", uid("api"), f"--secret={new_secret()}", "--grant-type",
               "client_credentials", "--resource", API, check=True)
    return Client(cid, secret, "read", ()), tokens


def ask(server, client, amount=250):
    details = json.dumps([{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": amount,
                           "currency": "EUR"}])
    resp = wait_for_response(
        lambda: server.post("/bc-authorize", {"login_hint": "bob", "resource": API, "authorization_details": details},
                            auth=(client.id, client.secret)),
        lambda r: r.status_code == 200, what="the backchannel request to be accepted")
    return resp.json()["auth_req_id"]


def request_id(server, token):
    resp = server.get(BASE, headers={"Authorization": f"Bearer {token}"})
    return resp.json()["approval_requests"][0]["id"]


def vote(server, token, rid, verdict="approve"):
    return server.post(f"{BASE}/{rid}/{verdict}", body=json.dumps({"reason": "r"}).encode(),
                       content_type="application/json", headers={"Authorization": f"Bearer {token}"})


def all_at_once(calls):
    """Runs the calls on their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def tokens_issued_for(server, rid):
    events = server.audit_events()
    jtis = [e["data"]["jti"] for e in events if e["type"] == "approval.redeemed" and e["data"]["request_id"] == rid]
    return jtis, events


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("faults") / "data")
    client, tokens = setup_store(server)
    yield server, client, tokens
    server.stop()
    server.kill()


def test_fifty_approvers_at_once_count_the_quorum_once_and_redeem_one_token(world):
    server, client, tokens = world
    auth_req_id = ask(server, client)
    rid = request_id(server, tokens["lead00"])
    answers = all_at_once([lambda t=t: vote(server, t, rid) for t in tokens.values()])
    statuses = sorted(r.status_code for r in answers)
    # The quorum is two: the first two votes count, every later one meets a decided request.
    assert statuses == [200, 200] + [409] * (LEADS - 2), [r.text for r in answers if r.status_code not in (200, 409)]
    assert all("already approved" in r.json()["error_description"] for r in answers if r.status_code == 409)
    shown = server.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['lead00']}"}).json()
    assert shown["state"] == "approved" and len(shown["votes"]) == 2
    polls = all_at_once([lambda: server.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})] * 50)
    assert sorted(p.status_code for p in polls) == [200] + [400] * 49
    jtis, events = tokens_issued_for(server, rid)
    assert len(jtis) == 1
    assert sum(1 for e in events if e["type"] == "approval.approved" and e["data"]["request_id"] == rid) == 1
    assert server.cli("audit", "verify").returncode == 0


def test_approve_racing_deny_ends_in_one_state_with_one_event(world):
    server, client, tokens = world
    auth_req_id = ask(server, client)
    rid = request_id(server, tokens["lead00"])
    names = list(tokens)
    answers = all_at_once([lambda t=tokens[n], v=("deny" if i % 2 else "approve"): vote(server, t, rid, v)
                           for i, n in enumerate(names)])
    final = server.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['lead00']}"}).json()
    assert final["state"] in ("approved", "denied")
    accepted = [r for r in answers if r.status_code == 200]
    assert len(accepted) == len(final["votes"]) and all(r.status_code in (200, 409) for r in answers)
    events = server.audit_events()
    terminal = [e for e in events if e["type"] in ("approval.approved", "approval.denied") and e["data"]["request_id"] == rid]
    assert len(terminal) == 1 and terminal[0]["type"] == f"approval.{final['state']}"
    poll = server.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
    assert poll.status_code == (200 if final["state"] == "approved" else 400)


def test_two_server_processes_on_one_store_decide_once_and_issue_once(world):
    server, client, tokens = world
    second = start_server(server.data_dir)
    try:
        auth_req_id = ask(server, client)
        rid = request_id(second, tokens["lead00"])
        replicas = [server, second]
        answers = all_at_once([lambda t=t, s=replicas[i % 2]: vote(s, t, rid) for i, t in enumerate(tokens.values())])
        assert sorted(r.status_code for r in answers) == [200, 200] + [409] * (LEADS - 2)
        polls = all_at_once([lambda s=replicas[i % 2]: s.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
                             for i in range(40)])
        assert sorted(p.status_code for p in polls) == [200] + [400] * 39
        jtis, _ = tokens_issued_for(server, rid)
        assert len(jtis) == 1
    finally:
        second.stop()
    assert server.cli("audit", "verify").returncode == 0


def test_kill_9_loses_no_pending_request_and_no_vote(tmp_path):
    server = start_server(tmp_path / "data")
    client, tokens = setup_store(server, leads=2)
    auth_req_id = ask(server, client)
    rid = request_id(server, tokens["lead00"])
    assert vote(server, tokens["lead00"], rid).status_code == 200
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    restarted = start_server(tmp_path / "data")
    try:
        shown = restarted.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['lead01']}"}).json()
        assert shown["state"] == "pending" and [v["approver"] for v in shown["votes"]] == ["lead00"]
        poll = restarted.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
        assert poll.json()["error"] == "authorization_pending"
        assert vote(restarted, tokens["lead01"], rid).json()["state"] == "approved"
        assert restarted.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id}).status_code == 200
    finally:
        restarted.stop()
    assert restarted.cli("audit", "verify").returncode == 0


def test_kill_9_in_the_middle_of_votes_and_polls_leaves_at_most_one_token(tmp_path):
    server = start_server(tmp_path / "data")
    client, tokens = setup_store(server, leads=10)
    auth_req_id = ask(server, client)
    rid = request_id(server, tokens["lead00"])
    stop = threading.Event()
    first_vote = threading.Event()

    def hammer():
        for token in tokens.values():
            if stop.is_set():
                return
            try:
                if vote(server, token, rid).status_code == 200:
                    first_vote.set()
                server.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
            except Exception:  # noqa: BLE001 - the server is killed under us
                return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    # Killed while the other votes and the polls are in flight.
    assert first_vote.wait(timeout=EVENTUALLY)
    server.proc.send_signal(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    server.proc.wait(timeout=10)
    restarted = start_server(tmp_path / "data")
    try:
        state = restarted.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['lead00']}"}).json()
        assert state["state"] in ("pending", "approved", "redeemed")
        jtis, _ = tokens_issued_for(restarted, rid)
        assert len(jtis) <= 1 and (len(jtis) == 1) == (state["state"] == "redeemed")
        poll = restarted.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})
        expected = {"pending": "authorization_pending", "redeemed": "invalid_grant"}
        if state["state"] in expected:
            assert poll.json()["error"] == expected[state["state"]]
        else:
            assert poll.status_code == 200
    finally:
        restarted.stop()
    assert restarted.cli("audit", "verify").returncode == 0
